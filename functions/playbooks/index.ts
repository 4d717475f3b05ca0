// playbooks: an org's admins manage its playbooks and hide global ones
// (docs/functions.md). Thin adapter over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { createPlaybooksHandler } from './handler.ts';
import { errorResponse } from '../_shared/http.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createPlaybooksHandler({ sql: connectDb(dbUrl), report: (err) => console.error('playbooks failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
