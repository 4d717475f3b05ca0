import { createHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../postgres/internal-db.ts';
import { str, type AuthContext } from './context.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { issueSession, type TokenResponse } from './grants.ts';
import { findUserById } from './users.ts';

/**
 * The PKCE flow of Supabase Auth (models/flow_state.go, api/pkce.go, token.go PKCE grant):
 * an email request carrying code_challenge records a flow state; its link's token is
 * "pkce_<hash>"; a verified link redirects with ?code=<auth code>, which the client that
 * holds the code verifier exchanges at POST /token?grant_type=pkce.
 */

export interface Pkce { challenge: string; method: 's256' | 'plain' }

/** GoTrue's FlowStateExpiryDuration default. */
export const FLOW_STATE_EXPIRY_SECONDS = 300;
export const PKCE_PREFIX = 'pkce_';

/** validatePKCEParams: none (implicit flow) or both, a known method, 43–128 characters. */
export function pkceParams(params: Record<string, unknown>): Pkce | undefined {
  const challenge = str(params.code_challenge);
  const method = str(params.code_challenge_method).toLowerCase();
  if (challenge === '' && method === '') return undefined;
  if (challenge === '' || method === '') {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'PKCE flow requires code_challenge_method and code_challenge');
  }
  if (method !== 's256' && method !== 'plain') throw new AuthError(400, AUTH_ERROR.validationFailed, `code challenge method ${method} not supported`);
  if (challenge.length < 43 || challenge.length > 128) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'code challenge has to be between 43 and 128 characters');
  }
  return { challenge, method };
}

/** models.AuthenticationMethod of a verification type (ParseAuthenticationMethod). */
export function authMethodOf(type: string): string {
  return type === 'signup' ? 'email/signup' : type;
}

/** models.NewFlowStateWithUserID (provider "email"). */
export async function createFlowState(tx: Queryable, userId: string, pkce: Pkce, authMethod: string): Promise<void> {
  await tx`insert into auth.flow_state (user_id, auth_code, code_challenge_method, code_challenge, provider_type, authentication_method)
           values (${userId}, ${randomUUID()}, ${pkce.method}::auth.code_challenge_method, ${pkce.challenge}, 'email', ${authMethod})`;
}

/** issueAuthCode: the newest flow state of the user for this method, stamped as issued. */
export async function issueAuthCode(tx: Queryable, userId: string, authMethod: string): Promise<string> {
  const [row] = await tx<{ auth_code: string }>`
    update auth.flow_state set auth_code_issued_at = now(), updated_at = now()
     where id = (select id from auth.flow_state where user_id = ${userId} and authentication_method = ${authMethod}
                 order by created_at desc limit 1)
    returning auth_code`;
  if (!row) throw new AuthError(400, AUTH_ERROR.flowStateNotFound, 'No associated flow state found. flow state not found');
  return row.auth_code;
}

/** POST /token?grant_type=pkce {auth_code, code_verifier}. */
export async function pkceGrant(ctx: AuthContext, params: Record<string, unknown>, meta: { userAgent?: string; ip?: string }): Promise<TokenResponse> {
  const code = str(params.auth_code);
  const verifier = str(params.code_verifier);
  if (code === '' || verifier === '') {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'invalid request: both auth code and code verifier should be non-empty');
  }
  return ctx.sql.begin(async (tx) => {
    const [flow] = await tx<{ id: string; user_id: string | null; code_challenge: string; code_challenge_method: string;
      authentication_method: string; created_at: Date; auth_code_issued_at: Date | null }>`
      select id::text, user_id::text, code_challenge, code_challenge_method::text, authentication_method, created_at, auth_code_issued_at
        from auth.flow_state where auth_code = ${code} for update`;
    if (!flow?.user_id) throw new AuthError(404, AUTH_ERROR.flowStateNotFound, 'invalid flow state, no valid flow state found');
    const since = (flow.auth_code_issued_at ?? flow.created_at).getTime();
    if (Date.now() > since + FLOW_STATE_EXPIRY_SECONDS * 1000) {
      throw new AuthError(400, AUTH_ERROR.flowStateExpired, 'invalid flow state, flow state has expired');
    }
    const expected = flow.code_challenge_method === 's256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
    if (expected !== flow.code_challenge) {
      throw new AuthError(400, AUTH_ERROR.badCodeVerifier, 'code challenge does not match previously saved code verifier');
    }
    const user = await findUserById(tx, flow.user_id);
    if (!user) throw new AuthError(404, AUTH_ERROR.flowStateNotFound, 'invalid flow state, no valid flow state found');
    await tx`delete from auth.flow_state where id = ${flow.id}`;
    return issueSession(ctx, tx, user, meta, flow.authentication_method);
  });
}
