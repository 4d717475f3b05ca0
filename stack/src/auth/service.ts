import type { IncomingMessage, ServerResponse } from 'node:http';
import bcrypt from 'bcryptjs';
import { createInternalDb } from '../postgres/internal-db.ts';
import { gotrueCorsHeaders } from './cors.ts';
import type { ServiceFactory } from '../service-types.ts';
import { AUTH_ERROR, AuthError, sendError, sendJson } from './errors.ts';
import { passwordGrant, refreshTokenGrant, type TokenContext } from './grants.ts';
import { loadAuthSettings } from './settings.ts';
import { deleteUserAdmin, createUserAdmin, generateLink, getUser, invite, listUsers, updateUserAdmin } from './admin.ts';
import { authenticate, requireAdmin } from './bearer.ts';
import type { AuthContext, AuthRequest } from './context.ts';
import { createMailer } from './mailer.ts';
import { magicLink, otp, recover, resend, signup } from './signup.ts';
import { pkceGrant } from './pkce.ts';
import { reauthenticate, updateUser } from './user-update.ts';
import { userJson } from './users.ts';
import { verifyGet, verifyPost } from './verify.ts';

/** bcrypt cost GoTrue uses (bcrypt.DefaultCost). */
const BCRYPT_COST = 10;

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
 * POST /logout?scope=global|local|others (GoTrue logout.go), 204: sessions (and their refresh
 * tokens) deleted. A token without a session signs out everywhere, whatever the scope.
 */
async function logout(ctx: TokenContext, req: IncomingMessage, scope: string | null): Promise<void> {
  const { user, sessionId } = await authenticate(ctx, req);
  if (scope !== null && !['', 'global', 'local', 'others'].includes(scope)) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, `Unsupported logout scope "${scope}"`);
  }
  if (sessionId !== undefined && scope === 'local') {
    await ctx.sql`delete from auth.sessions where id = ${sessionId}`;
  } else if (sessionId !== undefined && scope === 'others') {
    await ctx.sql`delete from auth.sessions where user_id = ${user.id} and id <> ${sessionId}`;
  } else {
    await ctx.sql`delete from auth.sessions where user_id = ${user.id}`;
  }
}

/**
 * /auth/v1 — Supabase Auth (GoTrue) for email users: password, refresh and PKCE grants,
 * sign-up, OTP/magic link, recovery, invitations, verify, user updates, logout, the
 * admin API, plus health/settings/jwks (docs/stack.md). Users and sessions live in the
 * auth schema; access tokens carry GoTrue's claims plus those of the custom access token
 * hook named in supabase/config.toml; emails go over SMTP to the mail catcher.
 */
export const startAuth: ServiceFactory = async (ctx) => {
  const settings = loadAuthSettings(ctx.config.supabaseConfigPath);
  const db = createInternalDb(ctx.dbUrl, ctx.log, { max: 4, applicationName: 'gotrue' });
  const verifyPassword = (plain: string, hash: string): Promise<boolean> =>
    bcrypt.compare(plain, hash).catch(() => false);
  const mailer = createMailer(settings, { host: ctx.config.host, port: ctx.config.smtpPort });
  const tctx: AuthContext = {
    sql: db, settings, jwtSecret: ctx.config.keys.jwtSecret, issuer: `${ctx.apiUrl}/auth/v1`, mailer,
    verifyPassword, hashPassword: (plain) => bcrypt.hash(plain, BCRYPT_COST),
  };

  async function handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
    for (const [k, v] of Object.entries(gotrueCorsHeaders(req))) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://auth');
    const method = req.method ?? 'GET';
    try {
      const path = subpath.replace(/\/+$/, '') || '/';
      const route = `${method} ${path}`;
      const request = async (): Promise<AuthRequest> => ({ req, url, params: method === 'GET' ? {} : await readParams(req), meta: requestMeta(req) });
      const userRoute = /^\/admin\/users\/([^/]+)$/.exec(path);
      if (userRoute?.[1] && ['GET', 'PUT', 'DELETE'].includes(method)) {
        await requireAdmin(tctx, req);
        const r = await request();
        const id = decodeURIComponent(userRoute[1]);
        const body = method === 'GET' ? await getUser(tctx, id) : method === 'PUT' ? await updateUserAdmin(tctx, r, id) : await deleteUserAdmin(tctx, r, id);
        return sendJson(res, 200, body);
      }
      switch (route) {
        case 'POST /signup': return sendJson(res, 200, await signup(tctx, await request()));
        case 'POST /otp': return sendJson(res, 200, await otp(tctx, await request()));
        case 'POST /magiclink': return sendJson(res, 200, await magicLink(tctx, await request()));
        case 'POST /recover': return sendJson(res, 200, await recover(tctx, await request()));
        case 'POST /resend': return sendJson(res, 200, await resend(tctx, await request()));
        case 'GET /verify': return await verifyGet(tctx, await request(), res);
        case 'POST /verify': return sendJson(res, 200, await verifyPost(tctx, await request()));
        case 'PUT /user': {
          const { user, sessionId } = await authenticate(tctx, req);
          return sendJson(res, 200, await updateUser(tctx, await request(), user, sessionId));
        }
        case 'GET /reauthenticate': {
          const { user } = await authenticate(tctx, req);
          return sendJson(res, 200, await reauthenticate(tctx, user));
        }
        case 'POST /invite': {
          await requireAdmin(tctx, req);
          return sendJson(res, 200, await invite(tctx, await request()));
        }
        case 'GET /admin/users': {
          await requireAdmin(tctx, req);
          return await listUsers(tctx, await request(), res);
        }
        case 'POST /admin/users': {
          await requireAdmin(tctx, req);
          return sendJson(res, 200, await createUserAdmin(tctx, await request()));
        }
        case 'POST /admin/generate_link': {
          await requireAdmin(tctx, req);
          return sendJson(res, 200, await generateLink(tctx, await request()));
        }
        case 'POST /token': {
          const params = await readParams(req);
          const grant = url.searchParams.get('grant_type') ?? (typeof params.grant_type === 'string' ? params.grant_type : '');
          if (grant === 'password') return sendJson(res, 200, await passwordGrant(tctx, params, verifyPassword, requestMeta(req)));
          if (grant === 'refresh_token') return sendJson(res, 200, await refreshTokenGrant(tctx, params, requestMeta(req)));
          if (grant === 'pkce') return sendJson(res, 200, await pkceGrant(tctx, params, requestMeta(req)));
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
            external: { email: settings.emailProviderEnabled, phone: false, anonymous_users: false },
            disable_signup: !settings.signupEnabled, mailer_autoconfirm: settings.mailerAutoconfirm,
            phone_autoconfirm: false, sms_provider: '', saml_enabled: false,
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
    async stop() { mailer.close(); await db.end(); },
  };
};
