// feed-keys: an org's admins create and revoke feed keys (docs/functions.md). Thin
// adapter over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createFeedKeysHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createFeedKeysHandler({ sql: connectDb(dbUrl), report: (err) => console.error('feed-keys failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
