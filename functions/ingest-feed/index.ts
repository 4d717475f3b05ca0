// ingest-feed: an automated feed ingests with its feed key (docs/functions.md). Thin
// adapter over ./handler.ts; only this file reads the environment. Deployed with
// verify_jwt = false: the handler checks the key itself.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createIngestFeedHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createIngestFeedHandler({ sql: connectDb(dbUrl), report: (err) => console.error('ingest-feed failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
