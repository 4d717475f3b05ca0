// members: invitations, roles and removal for an org's team (docs/functions.md).
// Thin adapter over ./handler.ts; only this file reads the environment. The service
// role key stays here, in the function: Auth sends the emails and applies bans.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { supabaseAuthAdmin } from './auth-admin.ts';
import { createMembersHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
const url = Deno.env.get('SUPABASE_URL');
const serviceRoleKey = Deno.env.get('SUPABASE_SERVICE_ROLE_KEY');

Deno.serve(
  dbUrl && url && serviceRoleKey
    ? createMembersHandler({ sql: connectDb(dbUrl), auth: supabaseAuthAdmin(url, serviceRoleKey), report: (err) => console.error('members failed', err) })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL, SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set.')),
);
