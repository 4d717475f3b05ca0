// ingest-events: POST a batch of events (docs/functions.md). Thin adapter: the
// handler lives in ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createIngestHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createIngestHandler({ sql: connectDb(dbUrl), report: (err) => console.error('ingest-events failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
