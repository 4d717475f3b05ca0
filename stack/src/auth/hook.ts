import type { Queryable } from '../postgres/internal-db.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';

/** Claims GoTrue requires in the hook's output (supabase/auth hooks JSON schema). */
const REQUIRED_CLAIMS = ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous'] as const;

/** GoTrue's default hook timeout (statement_timeout for pg-functions hooks). */
export const HOOK_TIMEOUT_MS = 2_000;

/**
 * Call the custom access token hook as Supabase Auth does: inside the token transaction,
 * as supabase_auth_admin (SET LOCAL ROLE), with a statement timeout, input
 * {user_id, claims, authentication_method}; the output's claims replace the token's.
 * A returned {"error": {"http_code", "message"}} fails the request with that status.
 */
export async function runAccessTokenHook(
  tx: Queryable,
  hook: { uri: string; schema: string; fn: string },
  input: { user_id: string; claims: Record<string, unknown>; authentication_method: string },
): Promise<Record<string, unknown>> {
  let output: unknown;
  try {
    await tx`select set_config('statement_timeout', ${`${HOOK_TIMEOUT_MS}ms`}, true)`;
    await tx`set local role supabase_auth_admin`;
    const [row] = await tx.unsafe<{ out: unknown }>(
      `select ${quoteIdent(hook.schema)}.${quoteIdent(hook.fn)}(($1::text)::jsonb) as out`, [JSON.stringify(input)]);
    output = row?.out;
    await tx`reset role`;
    await tx`select set_config('statement_timeout', '0', true)`;
  } catch (e) {
    if (process.env.HOTWATCH_DEBUG_AUTH) console.error('auth hook failed', e);
    throw new AuthError(500, AUTH_ERROR.unexpectedFailure, `Error running hook URI: ${hook.uri}`);
  }
  const out = (typeof output === 'string' ? JSON.parse(output) : output) as
    { claims?: Record<string, unknown>; error?: { http_code?: number; message?: string } } | null;
  if (out?.error) {
    throw new AuthError(out.error.http_code ?? 500, AUTH_ERROR.unexpectedFailure, out.error.message ?? 'Hook returned an error');
  }
  const claims = out?.claims;
  if (!claims || typeof claims !== 'object' || REQUIRED_CLAIMS.some((k) => !(k in claims))) {
    throw new AuthError(500, AUTH_ERROR.unexpectedFailure, 'output claims do not conform to the expected schema');
  }
  // GoTrue signs the hook's output as a Go map, whose JSON keys come out sorted.
  return sortKeys(claims) as Record<string, unknown>;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
