import type { MountPeer } from '../gateway/mount.ts';
import { readBodyWithin } from '../gateway/body.ts';
import type { Logger } from '../log.ts';
import { createUserAdmin, deleteUserAdmin, generateLink, getUser, invite, listUsers, updateUserAdmin } from './admin.ts';
import { authenticate, requireAdmin } from './bearer.ts';
import type { AuthContext, AuthRequest } from './context.ts';
import { gotrueCorsHeaders } from './cors.ts';
import { AUTH_ERROR, AuthError, errorReply, jsonReply, type AuthReply } from './errors.ts';
import { passwordGrant, refreshTokenGrant, type TokenContext } from './grants.ts';
import { pkceGrant } from './pkce.ts';
import { magicLink, otp, recover, resend, signup } from './signup.ts';
import { reauthenticate, updateUser } from './user-update.ts';
import { userJson } from './users.ts';
import { verifyGet, verifyPost } from './verify.ts';

/**
 * The `/auth/v1` mount as a web handler: Request → GoTrue's answer. Routing, body parsing,
 * bearer checks and the error shapes run on the Request alone, so they are testable
 * in-process (tests/unit/auth/mount.test.ts); what reads users and sessions needs PostgreSQL
 * (tests/integration/auth/).
 */

/** Named limits of the auth subset. */
export const AUTH_LIMITS = {
  /** Request bodies above this are refused (GoTrue reads small JSON bodies only). */
  maxBodyBytes: 1024 * 1024,
};

const bodyTooLarge = (): AuthError => new AuthError(413, AUTH_ERROR.validationFailed, 'Request body too large');

async function readParams(req: Request): Promise<Record<string, unknown>> {
  const text = (await readBodyWithin(req, AUTH_LIMITS.maxBodyBytes, bodyTooLarge)).toString('utf8');
  if (text.trim() === '') return {};
  const type = req.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch { /* fall through */ }
  throw new AuthError(400, AUTH_ERROR.badJson, 'Could not parse request body as JSON');
}

/** GoTrue's utilities.GetIPAddress: the first X-Forwarded-For hop, else the connection's address. */
function requestMeta(req: Request, peer: MountPeer | undefined): AuthRequest['meta'] {
  const ip = req.headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? peer?.remoteAddress ?? undefined;
  return { userAgent: req.headers.get('user-agent') ?? undefined, ip: ip?.replace(/^::ffff:/, '') };
}

/**
 * POST /logout?scope=global|local|others (GoTrue logout.go), 204: sessions (and their refresh
 * tokens) deleted. A token without a session signs out everywhere, whatever the scope.
 */
async function logout(ctx: TokenContext, headers: Headers, scope: string | null): Promise<void> {
  const { user, sessionId } = await authenticate(ctx, headers);
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

async function route(ctx: AuthContext, req: Request, subpath: string, peer: MountPeer | undefined): Promise<AuthReply> {
  const url = new URL(req.url);
  const method = req.method;
  const { headers } = req;
  const path = subpath.replace(/\/+$/, '') || '/';
  const request = async (): Promise<AuthRequest> => ({ headers, url, params: method === 'GET' ? {} : await readParams(req), meta: requestMeta(req, peer) });
  const userRoute = /^\/admin\/users\/([^/]+)$/.exec(path);
  if (userRoute?.[1] && ['GET', 'PUT', 'DELETE'].includes(method)) {
    await requireAdmin(ctx, headers);
    const r = await request();
    const id = decodeURIComponent(userRoute[1]);
    return jsonReply(200, method === 'GET' ? await getUser(ctx, id) : method === 'PUT' ? await updateUserAdmin(ctx, r, id) : await deleteUserAdmin(ctx, r, id));
  }
  switch (`${method} ${path}`) {
    case 'POST /signup': return jsonReply(200, await signup(ctx, await request()));
    case 'POST /otp': return jsonReply(200, await otp(ctx, await request()));
    case 'POST /magiclink': return jsonReply(200, await magicLink(ctx, await request()));
    case 'POST /recover': return jsonReply(200, await recover(ctx, await request()));
    case 'POST /resend': return jsonReply(200, await resend(ctx, await request()));
    case 'GET /verify': return verifyGet(ctx, await request());
    case 'POST /verify': return jsonReply(200, await verifyPost(ctx, await request()));
    case 'PUT /user': {
      const { user, sessionId } = await authenticate(ctx, headers);
      return jsonReply(200, await updateUser(ctx, await request(), user, sessionId));
    }
    case 'GET /reauthenticate': {
      const { user } = await authenticate(ctx, headers);
      return jsonReply(200, await reauthenticate(ctx, user));
    }
    case 'POST /invite': {
      await requireAdmin(ctx, headers);
      return jsonReply(200, await invite(ctx, await request()));
    }
    case 'GET /admin/users': {
      await requireAdmin(ctx, headers);
      return listUsers(ctx, await request());
    }
    case 'POST /admin/users': {
      await requireAdmin(ctx, headers);
      return jsonReply(200, await createUserAdmin(ctx, await request()));
    }
    case 'POST /admin/generate_link': {
      await requireAdmin(ctx, headers);
      return jsonReply(200, await generateLink(ctx, await request()));
    }
    case 'POST /token': {
      const params = await readParams(req);
      const grant = url.searchParams.get('grant_type') ?? (typeof params.grant_type === 'string' ? params.grant_type : '');
      const meta = requestMeta(req, peer);
      if (grant === 'password') return jsonReply(200, await passwordGrant(ctx, params, ctx.verifyPassword, meta));
      if (grant === 'refresh_token') return jsonReply(200, await refreshTokenGrant(ctx, params, meta));
      if (grant === 'pkce') return jsonReply(200, await pkceGrant(ctx, params, meta));
      throw new AuthError(400, AUTH_ERROR.unsupportedGrantType, 'unsupported_grant_type');
    }
    case 'GET /user': {
      const { user } = await authenticate(ctx, headers);
      return jsonReply(200, userJson(user));
    }
    case 'POST /logout':
      await logout(ctx, headers, url.searchParams.get('scope'));
      return { status: 204 };
    case 'GET /health':
      return jsonReply(200, { version: 'hotwatch-auth-subset', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
    case 'GET /settings': {
      const { settings } = ctx;
      return jsonReply(200, {
        external: { email: settings.emailProviderEnabled, phone: false, anonymous_users: false },
        disable_signup: !settings.signupEnabled, mailer_autoconfirm: settings.mailerAutoconfirm,
        phone_autoconfirm: false, sms_provider: '', saml_enabled: false,
      });
    }
    case 'GET /.well-known/jwks.json':
      // Symmetric (HS256) project: no public keys to publish, as GoTrue without signing keys.
      return jsonReply(200, { keys: [] });
    default:
      throw new AuthError(404, AUTH_ERROR.notFound, 'Not Found');
  }
}

/**
 * The web Response: GoTrue's CORS headers first (a reply's own header of the same name wins,
 * as listUsers' Expose-Headers), a JSON body with its Content-Length, or none (204, 303).
 */
function toResponse(req: Request, reply: AuthReply): Response {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries({ ...gotrueCorsHeaders(req.headers), ...reply.headers })) headers[k.toLowerCase()] = v;
  if (reply.body === undefined) {
    if (reply.status !== 204) headers['content-length'] = '0';
    return new Response(null, { status: reply.status, headers });
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  return new Response(text, { status: reply.status, headers });
}

export function authFetchHandler(ctx: AuthContext, log: Logger): (request: Request, subpath: string, peer?: MountPeer) => Promise<Response> {
  return async (req, subpath, peer) => {
    let reply: AuthReply;
    try {
      reply = await route(ctx, req, subpath, peer);
    } catch (e) {
      if (!(e instanceof AuthError)) {
        log.error('auth request failed', { path: subpath, error: e instanceof Error ? e.message : String(e) });
        e = new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Unexpected failure, please check server logs for more information');
      }
      reply = errorReply(req.headers, e as AuthError);
    }
    return toResponse(req, reply);
  };
}
