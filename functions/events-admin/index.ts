// events-admin: an org's admins erase named events (docs/functions.md). Thin adapter
// over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createEventsAdminHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createEventsAdminHandler({ sql: connectDb(dbUrl), report: (err) => console.error('events-admin failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
