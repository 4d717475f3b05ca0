// decisions: approve/reject a recommendation, acknowledge/resolve an alert
// (docs/functions.md). Thin adapter over ./handler.ts; only this
// file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { createDecisionsHandler } from './handler.ts';
import { errorResponse } from '../_shared/http.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createDecisionsHandler({ sql: connectDb(dbUrl), report: (err) => console.error('decisions failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
