/**
 * Private channel authorization, as Supabase Realtime does it: RLS on realtime.messages,
 * probed by realtime.authorize() (bootstrap.sql) with the subscriber's role, claims and
 * topic — one round trip, everything rolled back.
 */
import type { Db } from './db.ts';

export type Extension = 'broadcast' | 'presence';

export interface AuthorizationContext {
  role: string;
  topic: string;
  claims: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface Policies {
  broadcastRead?: boolean;
  broadcastWrite?: boolean;
  presenceRead?: boolean;
  presenceWrite?: boolean;
}

async function authorize(sql: Db, ctx: AuthorizationContext, read: Extension[], write: Extension[]): Promise<{ read: boolean[]; write: boolean[] }> {
  const sub = typeof ctx.claims.sub === 'string' ? ctx.claims.sub : null;
  const rows = await sql<{ read_allowed: boolean[]; write_allowed: boolean[] }>`
    select read_allowed, write_allowed from realtime.authorize(
      ${ctx.role}, ${ctx.topic}, ${JSON.stringify(ctx.claims)}, ${sub}, ${JSON.stringify(ctx.headers)},
      ${read}::text[], ${write}::text[])`;
  const row = rows[0];
  return { read: row?.read_allowed ?? [], write: row?.write_allowed ?? [] };
}

/** Read permissions for the extensions in use (presence only when enabled). */
export async function readPolicies(sql: Db, ctx: AuthorizationContext, presenceEnabled: boolean, into: Policies = {}): Promise<Policies> {
  const exts: Extension[] = presenceEnabled ? ['broadcast', 'presence'] : ['broadcast'];
  const { read } = await authorize(sql, ctx, exts, []);
  const out: Policies = { ...into, broadcastRead: read[0] === true };
  if (presenceEnabled) out.presenceRead = read[1] === true;
  return out;
}

/** May this subscriber insert (send) on the topic for `extension`? */
export async function writePolicy(sql: Db, ctx: AuthorizationContext, extension: Extension): Promise<boolean> {
  const { write } = await authorize(sql, ctx, [], [extension]);
  return write[0] === true;
}
