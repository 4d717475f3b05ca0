import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import { createInternalDb } from '../postgres/internal-db.ts';
import { gotrueCorsHeaders } from './cors.ts';
import type { ServiceFactory } from '../services.ts';
import { AUTH_ERROR, AuthError, sendError, sendJson } from './errors.ts';
import { passwordGrant, refreshTokenGrant, type TokenContext } from './grants.ts';
import { loadAuthSettings } from './settings.ts';
import { verifyAccessToken } from './tokens.ts';
import { findUserById, isBanned, userJson, type UserRow } from './users.ts';

/** Named limits of the auth subset. */
export const AUTH_LIMITS = {
  /** Request bodies above this are refused (GoTrue reads small JSON bodies only). */
  maxBodyBytes: 1024 * 1024,
};

async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > AUTH_LIMITS.maxBodyBytes) throw new AuthError(413, AUTH_ERROR.validationFailed, 'Request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch { /* fall through */ }
  throw new AuthError(400, AUTH_ERROR.badJson, 'Could not parse request body as JSON');
}

function requestMeta(req: IncomingMessage): { userAgent?: string; ip?: string } {
  const fwd = req.headers['x-forwarded-for'];
  const ip = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0]?.trim() ?? req.socket.remoteAddress ?? undefined;
  return { userAgent: req.headers['user-agent'], ip: ip?.replace(/^::ffff:/, '') };
}

/**
 * GoTrue's requireAuthentication + maybeLoadUserOrSession: Bearer JWT (HS256, project
 * secret), its user (sub) and, when it names one, its session.
 */
async function authenticate(ctx: TokenContext, req: IncomingMessage): Promise<{ user: UserRow; sessionId?: string }> {
  const m = /^bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  if (!m?.[1]) throw new AuthError(401, AUTH_ERROR.noAuthorization, 'This endpoint requires a valid Bearer token');
  const claims = await verifyAccessToken(m[1], ctx.jwtSecret);
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new AuthError(403, AUTH_ERROR.badJwt, 'invalid claim: missing sub claim');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(claims.sub)) {
    throw new AuthError(400, AUTH_ERROR.badJwt, 'invalid claim: sub claim must be a UUID');
  }
  const user = await findUserById(ctx.sql, claims.sub);
  if (!user) throw new AuthError(403, AUTH_ERROR.userNotFound, 'User from sub claim in JWT does not exist');
  if (isBanned(user)) throw new AuthError(403, AUTH_ERROR.userBanned, 'User is banned');
  const sid = typeof claims.session_id === 'string' ? claims.session_id : '';
  if (sid !== '' && sid !== '00000000-0000-0000-0000-000000000000') {
    const found = /^[0-9a-f-]{36}$/i.test(sid) ? await ctx.sql`select 1 from auth.sessions where id = ${sid}` : [];
    if (found.length === 0) throw new AuthError(403, AUTH_ERROR.sessionNotFound, 'Session from session_id claim in JWT does not exist');
    return { user, sessionId: sid };
  }
  return { user };
}

/** POST /logout?scope=global|local|others (GoTrue Logout), 204. */
async function logout(ctx: TokenContext, req: IncomingMessage, scope: string | null): Promise<void> {
  if (scope !== null && !['', 'global', 'local', 'others'].includes(scope)) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, `Unsupported logout scope "${scope}"`);
  }
  const { user, sessionId } = await authenticate(ctx, req);
  if (sessionId === undefined) {
    await ctx.sql`update auth.refresh_tokens set revoked = true, updated_at = now() where user_id = ${user.id} and not revoked`;
  } else if (scope === 'local') {
    await ctx.sql`delete from auth.sessions where id = ${sessionId}`;
  } else if (scope === 'others') {
    await ctx.sql`delete from auth.sessions where user_id = ${user.id} and id <> ${sessionId}`;
  } else {
    await ctx.sql`delete from auth.sessions where user_id = ${user.id}`;
  }
}

/**
 * /auth/v1 — the Supabase Auth (GoTrue) subset supabase-js needs for password sessions:
 * token (password, refresh_token), user, logout, plus health/settings/jwks. Users and
 * sessions live in the auth schema; access tokens carry GoTrue's claims plus those of
 * the custom access token hook named in supabase/config.toml.
 */
export const startAuth: ServiceFactory = async (ctx) => {
  const settings = loadAuthSettings();
  const db = createInternalDb(ctx.dbUrl, ctx.log, { max: 4, applicationName: 'gotrue' });
  const tctx: TokenContext = { sql: db, settings, jwtSecret: ctx.config.keys.jwtSecret, issuer: `${ctx.apiUrl}/auth/v1` };
  const verifyPassword = (plain: string, hash: string): Promise<boolean> =>
    bcrypt.compare(plain, hash).catch(() => false);

  async function handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
    for (const [k, v] of Object.entries(gotrueCorsHeaders(req))) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://auth');
    const method = req.method ?? 'GET';
    try {
      const route = `${method} ${subpath.replace(/\/+$/, '') || '/'}`;
      switch (route) {
        case 'POST /token': {
          const params = await readParams(req);
          const grant = url.searchParams.get('grant_type') ?? (typeof params.grant_type === 'string' ? params.grant_type : '');
          if (grant === 'password') return sendJson(res, 200, await passwordGrant(tctx, params, verifyPassword, requestMeta(req)));
          if (grant === 'refresh_token') return sendJson(res, 200, await refreshTokenGrant(tctx, params, requestMeta(req)));
          throw new AuthError(400, AUTH_ERROR.unsupportedGrantType, 'unsupported_grant_type');
        }
        case 'GET /user': {
          const { user } = await authenticate(tctx, req);
          return sendJson(res, 200, userJson(user));
        }
        case 'POST /logout': {
          await logout(tctx, req, url.searchParams.get('scope'));
          res.writeHead(204); res.end(); return;
        }
        case 'GET /health':
          return sendJson(res, 200, { version: 'hotwatch-auth-subset', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
        case 'GET /settings':
          return sendJson(res, 200, {
            external: { email: true, phone: false, anonymous_users: false },
            disable_signup: true, mailer_autoconfirm: false, phone_autoconfirm: false, sms_provider: '', saml_enabled: false,
          });
        case 'GET /.well-known/jwks.json':
          // Symmetric (HS256) project: no public keys to publish, as GoTrue without signing keys.
          return sendJson(res, 200, { keys: [] });
        default:
          throw new AuthError(404, AUTH_ERROR.notFound, 'Not Found');
      }
    } catch (e) {
      if (e instanceof AuthError) return sendError(req, res, e);
      ctx.log.error('auth request failed', { path: subpath, error: e instanceof Error ? e.message : String(e) });
      return sendError(req, res, new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Unexpected failure, please check server logs for more information'));
    }
  }

  return {
    name: 'auth',
    mounts: [{ prefix: '/auth/v1', handle }],
    async stop() { await db.end(); },
  };
};
