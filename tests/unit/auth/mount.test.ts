import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../../../stack/src/auth/context.ts';
import { AUTH_LIMITS, authFetchHandler } from '../../../stack/src/auth/mount.ts';
import { loadAuthSettings } from '../../../stack/src/auth/settings.ts';
import { createLogger } from '../../../stack/src/log.ts';
import type { InternalDb } from '../../../stack/src/postgres/internal-db.ts';

// The /auth/v1 mount called in-process with `new Request(…)`: no socket, no PostgreSQL, no SMTP.
// What it covers is what runs before the first query — routing, body parsing and its limit,
// bearer and admin checks, CORS, redirects and GoTrue's two error shapes (supabase/auth
// internal/api/errors.go HandleResponseError: `{code, message}` with X-Supabase-Api-Version
// ≥ 2024-01-01, else `{code: <status>, error_code, msg}`; codes from apierrors/errorcode.go).
// What reads users and sessions is tested against the real stack (tests/integration/auth/).

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const BASE = 'http://127.0.0.1:54321/auth/v1';
const V2024 = { 'x-supabase-api-version': '2024-01-01' };

/** A database that fails loudly if a case reaches it (those belong in integration tests). */
const reached = (): never => { throw new Error('in-process Auth test reached the database'); };
const noDatabase = Object.assign(reached, { unsafe: reached, begin: reached, listen: reached, end: async () => {} }) as unknown as InternalDb;

/** What the mount logged (its unexpected failures), instead of the console. */
const logged: string[] = [];

function handler(): ReturnType<typeof authFetchHandler> {
  const fail = (): never => { throw new Error('in-process Auth test reached the mailer or bcrypt'); };
  const ctx: AuthContext = {
    sql: noDatabase, settings: loadAuthSettings(), jwtSecret: SECRET, issuer: BASE,
    mailer: { send: fail, close: () => {} }, hashPassword: fail, verifyPassword: fail,
  };
  return authFetchHandler(ctx, createLogger('auth-test', true, (_level, line) => { logged.push(line); }));
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const url = new URL(BASE + path);
  const res = await handler()(new Request(url, init), url.pathname.slice('/auth/v1'.length) || '/');
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const jwt = (claims: Record<string, unknown>, secret = SECRET): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));
const bearer = async (claims: Record<string, unknown>): Promise<Record<string, string>> => ({ authorization: `Bearer ${await jwt(claims)}` });

describe('Auth mount in-process: endpoints without a database', () => {
  it('GET /health answers GoTrue\'s health body as JSON with its length', async () => {
    const r = await call('/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' });
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(JSON.stringify(r.body))));
  });

  it('GET /settings reflects supabase/config.toml ([auth] enable_signup, confirmations)', async () => {
    const settings = loadAuthSettings();
    const r = await call('/settings');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      external: { email: settings.emailProviderEnabled, phone: false, anonymous_users: false },
      disable_signup: !settings.signupEnabled, mailer_autoconfirm: settings.mailerAutoconfirm,
      phone_autoconfirm: false, sms_provider: '', saml_enabled: false,
    });
  });

  it('GET /.well-known/jwks.json has no keys (HS256 project); a trailing slash routes the same', async () => {
    expect((await call('/.well-known/jwks.json')).body).toEqual({ keys: [] });
    expect((await call('/health/')).status).toBe(200);
  });
});

describe('Auth mount in-process: GoTrue\'s error shapes', () => {
  it('an unknown route is 404 not_found, in the initial shape without an API version', async () => {
    const r = await call('/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ code: 404, error_code: 'not_found', msg: 'Not Found' });
    expect(r.headers.get('x-supabase-api-version')).toBeNull();
  });

  it('with X-Supabase-Api-Version 2024-01-01 the body is {code, message} and the version is echoed', async () => {
    const r = await call('/nope', { headers: V2024 });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ code: 'not_found', message: 'Not Found' });
    expect(r.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    // A known path with the wrong method is no route either.
    expect((await call('/signup', { headers: V2024 })).body).toEqual({ code: 'not_found', message: 'Not Found' });
  });

  it('a body that is not a JSON object is 400 bad_json', async () => {
    for (const body of ['{"email":', '[1,2]', '"text"']) {
      const r = await call('/signup', { method: 'POST', body, headers: { ...V2024, 'content-type': 'application/json' } });
      expect(r.status, body).toBe(400);
      expect(r.body, body).toEqual({ code: 'bad_json', message: 'Could not parse request body as JSON' });
    }
  });

  it('a body over the limit is 413 validation_failed, declared or streamed without a length', async () => {
    const big = 'x'.repeat(AUTH_LIMITS.maxBodyBytes + 1);
    const declared = await call('/signup', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ code: 413, error_code: 'validation_failed', msg: 'Request body too large' });
    const stream = new ReadableStream<Uint8Array>({
      start(c) { for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode(big.slice(0, AUTH_LIMITS.maxBodyBytes / 2))); c.close(); },
    });
    const streamed = await call('/otp', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(streamed.body).toMatchObject({ error_code: 'validation_failed' });
  });

  it('POST /token with an unknown grant_type is 400 unsupported_grant_type', async () => {
    const r = await call('/token?grant_type=client_credentials', { method: 'POST', body: '{}', headers: V2024 });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: 'unsupported_grant_type', message: 'unsupported_grant_type' });
  });

  it('an unexpected failure is 500 unexpected_failure without the cause', async () => {
    // A well-formed user token: the mount looks the user up, and the database here throws.
    const r = await call('/user', { headers: { ...V2024, ...(await bearer({ sub: '6f1c3a0e-4c5b-4d7a-9a51-2f3b8c0d9e11', role: 'authenticated' })) } });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ code: 'unexpected_failure', message: 'Unexpected failure, please check server logs for more information' });
    expect(logged.some((l) => l.includes('reached the database'))).toBe(true);
  });
});

describe('Auth mount in-process: bearer tokens (requireAuthentication, requireAdmin)', () => {
  it('no Authorization is 401 no_authorization', async () => {
    const r = await call('/user', { headers: V2024 });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });
  });

  it('a token without sub is 403 bad_jwt; a sub that is no UUID is 400 bad_jwt', async () => {
    const anon = await call('/user', { headers: await bearer({ role: 'anon' }) });
    expect(anon.status).toBe(403);
    expect(anon.body).toEqual({ code: 403, error_code: 'bad_jwt', msg: 'invalid claim: missing sub claim' });
    const notUuid = await call('/user', { headers: await bearer({ sub: 'someone', role: 'authenticated' }) });
    expect(notUuid.status).toBe(400);
    expect(notUuid.body).toEqual({ code: 400, error_code: 'bad_jwt', msg: 'invalid claim: sub claim must be a UUID' });
  });

  it('a token signed with another secret is 403 bad_jwt (signature invalid)', async () => {
    const forged = await jwt({ sub: '6f1c3a0e-4c5b-4d7a-9a51-2f3b8c0d9e11' }, 'another-secret-another-secret-another-secret');
    const r = await call('/user', { headers: { authorization: `Bearer ${forged}` } });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 403, error_code: 'bad_jwt' });
    expect((r.body as { msg: string }).msg).toMatch(/^invalid JWT: unable to parse or verify signature, token signature is invalid/);
  });

  it('the admin API refuses a non-admin role with 403 not_admin, before reading the body', async () => {
    const headers = { ...V2024, ...(await bearer({ role: 'anon' })) };
    for (const [path, method] of [['/admin/users', 'GET'], ['/admin/users', 'POST'], ['/invite', 'POST'], ['/admin/users/x', 'DELETE']] as const) {
      const r = await call(path, { method, headers, ...(method === 'GET' ? {} : { body: 'not json' }) });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body, `${method} ${path}`).toEqual({ code: 'not_admin', message: 'User not allowed' });
    }
  });
});

describe('Auth mount in-process: headers and redirects', () => {
  it('an http(s) Origin gets GoTrue\'s CORS headers, on answers and errors alike', async () => {
    for (const path of ['/health', '/nope']) {
      const r = await call(path, { headers: { origin: 'http://localhost:3000' } });
      expect(r.headers.get('access-control-allow-origin'), path).toBe('http://localhost:3000');
      expect(r.headers.get('access-control-allow-credentials'), path).toBe('true');
      expect(r.headers.get('access-control-expose-headers'), path).toBe('X-Total-Count, Link, X-Supabase-Api-Version');
      expect(r.headers.get('vary'), path).toBe('Origin');
    }
    expect((await call('/health')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await call('/health', { headers: { origin: 'null' } })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('GET /verify with an unknown type is a 303 to site_url with the error in the fragment', async () => {
    const r = await call('/verify?type=bogus&token=abc');
    expect(r.status).toBe(303);
    expect(r.body).toBeUndefined();
    expect(r.headers.get('content-length')).toBe('0');
    const location = r.headers.get('location') ?? '';
    const siteUrl = loadAuthSettings().siteUrl;
    expect(location.startsWith(`${siteUrl}#`)).toBe(true);
    expect(Object.fromEntries(new URLSearchParams(location.slice(siteUrl.length + 1)))).toEqual({
      error: 'invalid_request', error_code: 'validation_failed', error_description: 'Invalid email verification type',
    });
  });

  it('GET /verify without a type or token is a JSON 400, not a redirect', async () => {
    expect((await call('/verify?token=abc', { headers: V2024 })).body).toEqual({ code: 'validation_failed', message: 'Verify requires a verification type' });
    expect((await call('/verify?type=signup', { headers: V2024 })).body).toEqual({ code: 'validation_failed', message: 'Verify requires a token or a token hash' });
  });
});
