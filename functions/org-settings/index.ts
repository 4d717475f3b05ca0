// org-settings: an org's admins update its settings (docs/functions.md). Thin adapter
// over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { createOrgSettingsHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');

Deno.serve(
  dbUrl
    ? createOrgSettingsHandler({ sql: connectDb(dbUrl), report: (err) => console.error('org-settings failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
