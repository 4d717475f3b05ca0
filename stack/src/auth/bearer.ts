import type { JWTPayload } from 'jose';
import { AUTH_ERROR, AuthError } from './errors.ts';
import type { TokenContext } from './grants.ts';
import { verifyAccessToken } from './tokens.ts';
import { findUserById, isBanned, type UserRow } from './users.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GoTrue's requireAuthentication: a Bearer JWT (HS256, project secret), its claims. */
export async function bearerClaims(ctx: TokenContext, headers: Headers): Promise<JWTPayload> {
  const m = /^bearer\s+(\S+)\s*$/i.exec(headers.get('authorization') ?? '');
  if (!m?.[1]) throw new AuthError(401, AUTH_ERROR.noAuthorization, 'This endpoint requires a valid Bearer token');
  return verifyAccessToken(m[1], ctx.jwtSecret);
}

/** requireAuthentication + maybeLoadUserOrSession: the token's user (sub) and, when it names one, its session. */
export async function authenticate(ctx: TokenContext, headers: Headers): Promise<{ user: UserRow; sessionId?: string }> {
  const claims = await bearerClaims(ctx, headers);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new AuthError(403, AUTH_ERROR.badJwt, 'invalid claim: missing sub claim');
  if (!UUID.test(claims.sub)) throw new AuthError(400, AUTH_ERROR.badJwt, 'invalid claim: sub claim must be a UUID');
  const user = await findUserById(ctx.sql, claims.sub);
  if (!user) throw new AuthError(403, AUTH_ERROR.userNotFound, 'User from sub claim in JWT does not exist');
  if (isBanned(user)) throw new AuthError(403, AUTH_ERROR.userBanned, 'User is banned');
  const sid = typeof claims.session_id === 'string' ? claims.session_id : '';
  if (sid !== '' && sid !== '00000000-0000-0000-0000-000000000000') {
    const found = UUID.test(sid) ? await ctx.sql`select 1 from auth.sessions where id = ${sid}` : [];
    if (found.length === 0) throw new AuthError(403, AUTH_ERROR.sessionNotFound, 'Session from session_id claim in JWT does not exist');
    return { user, sessionId: sid };
  }
  return { user };
}

/** GoTrue's requireAdmin: the token's role is one of GOTRUE_JWT_ADMIN_ROLES (service_role, supabase_admin). */
export async function requireAdmin(ctx: TokenContext, headers: Headers): Promise<JWTPayload> {
  const claims = await bearerClaims(ctx, headers);
  if (claims.role !== 'service_role' && claims.role !== 'supabase_admin') throw new AuthError(403, AUTH_ERROR.notAdmin, 'User not allowed');
  return claims;
}

export function isUuid(s: string): boolean { return UUID.test(s); }
