import type { InternalDb, Queryable } from '../postgres/internal-db.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { runAccessTokenHook } from './hook.ts';
import type { AuthSettings } from './settings.ts';
import { newRefreshToken, signAccessToken } from './tokens.ts';
import { findUserByEmail, findUserById, isBanned, userJson, USER_COLUMNS, type UserRow } from './users.ts';

export interface TokenContext {
  /** node-postgres (a PostgreSQL crash must not become an uncaught postgres.js error). */
  sql: InternalDb;
  settings: AuthSettings;
  jwtSecret: string;
  /** GOTRUE_JWT_ISSUER: <API URL>/auth/v1, as the Supabase CLI sets it. */
  issuer: string;
}

/** GoTrue's AccessTokenResponse. */
export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  expires_at: number;
  refresh_token: string;
  user: Record<string, unknown>;
}

/** GoTrue's models.AuthenticationMethod values this subset issues sessions for (PKCE: the flow's, e.g. magiclink). */
export type AuthMethod = 'password' | 'otp' | (string & {});

/** Only one error code/message for "no such user" and "wrong password" (no account oracle). */
const invalidCredentials = (): AuthError => new AuthError(400, AUTH_ERROR.invalidCredentials, 'Invalid login credentials');

/**
 * Build the claims, let the custom access token hook amend them (as supabase_auth_admin,
 * in the same transaction), and sign. Claim order follows GoTrue's AccessTokenClaims.
 */
async function accessToken(ctx: TokenContext, tx: Queryable, user: UserRow, sessionId: string,
  method: AuthMethod | 'token_refresh'): Promise<{ token: string; exp: number }> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + ctx.settings.jwtExpiry;
  const amrRows = await tx<{ method: string; ts: number }>`
    select authentication_method as method, extract(epoch from created_at)::bigint::int as ts
      from auth.mfa_amr_claims where session_id = ${sessionId} order by created_at`;
  let claims: Record<string, unknown> = {
    iss: ctx.issuer,
    sub: user.id,
    aud: user.aud ?? ctx.settings.audience,
    exp,
    iat,
    email: user.email ?? '',
    phone: user.phone ?? '',
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    role: user.role ?? 'authenticated',
    aal: 'aal1',
    amr: amrRows.map((r) => ({ method: r.method, timestamp: r.ts })),
    session_id: sessionId,
    is_anonymous: user.is_anonymous,
  };
  const hook = ctx.settings.customAccessTokenHook;
  if (hook) claims = await runAccessTokenHook(tx, hook, { user_id: user.id, claims, authentication_method: method });
  const expClaim = typeof claims.exp === 'number' ? claims.exp : exp;
  return { token: await signAccessToken(claims, ctx.jwtSecret), exp: expClaim };
}

function response(ctx: TokenContext, token: { token: string; exp: number }, refresh: string, user: UserRow): TokenResponse {
  return {
    access_token: token.token,
    token_type: 'bearer',
    expires_in: ctx.settings.jwtExpiry,
    expires_at: token.exp,
    refresh_token: refresh,
    user: userJson(user),
  };
}

/** POST /token?grant_type=password (GoTrue ResourceOwnerPasswordGrant, email only). */
export async function passwordGrant(ctx: TokenContext, params: { email?: unknown; phone?: unknown; password?: unknown },
  verifyPassword: (plain: string, hash: string) => Promise<boolean>, meta: { userAgent?: string; ip?: string }): Promise<TokenResponse> {
  const email = typeof params.email === 'string' ? params.email : '';
  const phone = typeof params.phone === 'string' ? params.phone : '';
  const password = typeof params.password === 'string' ? params.password : '';
  if (email !== '' && phone !== '') {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Only an email address or phone number should be provided on login.');
  }
  if (email === '' && phone === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'missing email or phone');
  if (email !== '' && !ctx.settings.emailProviderEnabled) {
    throw new AuthError(400, AUTH_ERROR.emailProviderDisabled, 'Email logins are disabled');
  }
  const user = email !== ''
    ? await findUserByEmail(ctx.sql, email, ctx.settings.audience)
    : (await ctx.sql.unsafe<UserRow>(`select ${USER_COLUMNS} from auth.users where phone = $1 and aud = $2 limit 1`,
      [phone.replace(/[^\d]/g, ''), ctx.settings.audience]))[0];
  if (!user || !user.encrypted_password) throw invalidCredentials();
  if (isBanned(user)) throw new AuthError(400, AUTH_ERROR.userBanned, 'User is banned');
  if (!(await verifyPassword(password, user.encrypted_password))) throw invalidCredentials();
  if (email !== '' && user.email_confirmed_at === null) throw new AuthError(400, AUTH_ERROR.emailNotConfirmed, 'Email not confirmed');
  if (phone !== '' && user.phone_confirmed_at === null) throw new AuthError(400, AUTH_ERROR.phoneNotConfirmed, 'Phone not confirmed');

  return ctx.sql.begin((tx) => issueSession(ctx, tx, user, meta, 'password'));
}

/**
 * GoTrue's issueRefreshToken: stamp last_sign_in_at, open a session with its amr entry
 * (password, or otp for every email link and code), a refresh token, and an access token.
 */
export async function issueSession(ctx: TokenContext, tx: Queryable, user: UserRow, meta: { userAgent?: string; ip?: string },
  method: AuthMethod): Promise<TokenResponse> {
  const [fresh] = await tx.unsafe<UserRow>(
    `update auth.users set last_sign_in_at = now() where id = $1 returning ${USER_COLUMNS}`, [user.id]);
  const u = fresh ?? user;
  const [session] = await tx<{ id: string }>`
    insert into auth.sessions (user_id, aal, user_agent, ip) values (${u.id}, 'aal1', ${meta.userAgent ?? null}, ${meta.ip ?? null})
    returning id`;
  if (!session) throw new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Database error granting user');
  await tx`insert into auth.mfa_amr_claims (session_id, authentication_method) values (${session.id}, ${method})
           on conflict (session_id, authentication_method) do update set updated_at = now()`;
  const refresh = newRefreshToken();
  await tx`insert into auth.refresh_tokens (token, user_id, session_id) values (${refresh}, ${u.id}, ${session.id})`;
  const token = await accessToken(ctx, tx, u, session.id, method);
  return response(ctx, token, refresh, u);
}

interface RefreshRow {
  id: string;
  token: string;
  user_id: string;
  session_id: string;
  parent: string | null;
  revoked: boolean;
  updated_at: Date;
  not_after: Date | null;
}

/** Thrown from inside the transaction when its writes must persist (GoTrue's CommitWithError). */
class CommitThenFail {
  constructor(readonly error: AuthError) {}
}

/**
 * POST /token?grant_type=refresh_token (GoTrue RefreshTokenGrant): rotation with the
 * reuse interval — a revoked token that is the parent of the session's active token
 * returns that active token again; older reuse revokes the whole session's tokens
 * (committed) and fails with refresh_token_already_used.
 */
export async function refreshTokenGrant(ctx: TokenContext, params: { refresh_token?: unknown },
  meta: { userAgent?: string; ip?: string }): Promise<TokenResponse> {
  const presented = typeof params.refresh_token === 'string' ? params.refresh_token : '';
  if (presented === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'refresh_token required');
  const outcome = await ctx.sql.begin(async (tx): Promise<TokenResponse | CommitThenFail> => {
      const [rt] = await tx<RefreshRow>`
        select r.id::text, r.token, r.user_id::text, r.session_id::text, r.parent, r.revoked, r.updated_at, s.not_after
          from auth.refresh_tokens r join auth.sessions s on s.id = r.session_id
         where r.token = ${presented}
           for update of r, s`;
      if (!rt) throw new AuthError(400, AUTH_ERROR.refreshTokenNotFound, 'Invalid Refresh Token: Refresh Token Not Found');
      const user = await findUserById(tx, rt.user_id);
      if (!user) throw new AuthError(400, AUTH_ERROR.refreshTokenNotFound, 'Invalid Refresh Token: Refresh Token Not Found');
      if (isBanned(user)) throw new AuthError(400, AUTH_ERROR.userBanned, 'Invalid Refresh Token: User Banned');
      if (rt.not_after && rt.not_after.getTime() < Date.now()) {
        throw new AuthError(400, AUTH_ERROR.sessionExpired, 'Invalid Refresh Token: Session Expired');
      }

      let issued: string | undefined;
      if (rt.revoked) {
        const [active] = await tx<{ token: string; parent: string | null }>`
          select token, parent from auth.refresh_tokens
           where session_id = ${rt.session_id} and not revoked order by id desc limit 1`;
        if (active && active.parent === rt.token) {
          issued = active.token;
        } else if (Date.now() > rt.updated_at.getTime() + ctx.settings.refreshTokenReuseInterval * 1000) {
          if (ctx.settings.refreshTokenRotation) {
            await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = ${rt.session_id} and not revoked`;
          }
          return new CommitThenFail(new AuthError(400, AUTH_ERROR.refreshTokenAlreadyUsed, 'Invalid Refresh Token: Already Used'));
        }
      }
      if (issued === undefined) {
        await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${rt.id}`;
        issued = newRefreshToken();
        await tx`insert into auth.refresh_tokens (token, user_id, session_id, parent)
                 values (${issued}, ${rt.user_id}, ${rt.session_id}, ${rt.token})`;
      }
      await tx`update auth.sessions set refreshed_at = now(), updated_at = now(),
                      user_agent = ${meta.userAgent ?? null}, ip = ${meta.ip ?? null}
                where id = ${rt.session_id}`;
      const token = await accessToken(ctx, tx, user, rt.session_id, 'token_refresh');
      return response(ctx, token, issued, user);
  });
  if (outcome instanceof CommitThenFail) throw outcome.error;
  return outcome;
}
