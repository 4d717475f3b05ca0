import { corsHeaders as supabaseCors } from '@supabase/supabase-js/cors';
import { describe, expect, it } from 'vitest';
import { callerFromRequest, requireOrgRole, soleOrgWith } from '../../../functions/_shared/auth-claims.ts';
import { corsHeaders, ERROR_CODES, HttpError, readJsonBody, withErrors } from '../../../functions/_shared/http.ts';
import { anonToken, serviceToken, userToken } from '../../support/functions.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const USER = 'aaaaaaaa-0000-4000-8000-000000000002';

const req = (token?: string, init: RequestInit = {}): Request =>
  new Request('http://x/fn', { method: 'POST', ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers } });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e.code;
    throw e;
  }
  return undefined;
}

describe('http helpers', () => {
  it('uses the same CORS headers as @supabase/supabase-js/cors', () => {
    expect(corsHeaders).toEqual(supabaseCors);
  });

  it('answers preflight and maps errors to the registry', async () => {
    const h = withErrors(async (r) => {
      if (r.headers.get('x-fail') === 'http') throw new HttpError('conflict', 'taken', { current: 'approved' });
      throw new Error('secret detail');
    });
    const pre = await h(new Request('http://x', { method: 'OPTIONS' }));
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const c = await h(req(undefined, { headers: { 'x-fail': 'http' } }));
    expect(c.status).toBe(409);
    expect(await c.json()).toEqual({ error: { code: 'conflict', message: 'taken', current: 'approved' } });
    const s = await h(req());
    expect(s.status).toBe(500);
    expect(JSON.stringify(await s.json())).not.toContain('secret detail');
    for (const [code, status] of Object.entries(ERROR_CODES)) expect(status, code).toBeGreaterThanOrEqual(400);
  });

  it('reads bounded JSON bodies', async () => {
    const body = (b: string, type = 'application/json') => new Request('http://x', { method: 'POST', body: b, headers: { 'content-type': type } });
    expect(await readJsonBody(body('{"a":1}'), 100)).toEqual({ a: 1 });
    await expect(readJsonBody(body('{"a":'), 100)).rejects.toMatchObject({ code: 'invalid_json' });
    await expect(readJsonBody(body(''), 100)).rejects.toMatchObject({ code: 'invalid_json' });
    await expect(readJsonBody(body('x'.repeat(200)), 100)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(readJsonBody(body('{}', 'text/plain'), 100)).rejects.toMatchObject({ code: 'unsupported_media_type' });
    // A streamed body without Content-Length is cut off while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(50)));
        c.close();
      },
    });
    const r = new Request('http://x', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    await expect(readJsonBody(r, 100)).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});

describe('caller from the access token', () => {
  it('needs a bearer JWT', async () => {
    expect(codeOf(() => callerFromRequest(req()))).toBe('auth_required');
    expect(codeOf(() => callerFromRequest(req('not-a-jwt')))).toBe('auth_required');
  });

  it('tells service, user and anon apart', async () => {
    expect(callerFromRequest(req(await serviceToken())).kind).toBe('service');
    expect(callerFromRequest(req(await anonToken())).kind).toBe('anon');
    const u = callerFromRequest(req(await userToken(USER, { [ORG]: 'operator', [OTHER]: 'bogus' })));
    expect(u).toMatchObject({ kind: 'user', userId: USER, orgRoles: { [ORG]: 'operator' } });
  });

  it('applies role and org rules', async () => {
    const svc = callerFromRequest(req(await serviceToken()));
    const anon = callerFromRequest(req(await anonToken()));
    const op = callerFromRequest(req(await userToken(USER, { [ORG]: 'operator' })));
    const viewer = callerFromRequest(req(await userToken(USER, { [ORG]: 'viewer' })));
    const admin = callerFromRequest(req(await userToken(USER, { [ORG]: 'admin' })));
    expect(codeOf(() => requireOrgRole(svc, ORG, 'admin'))).toBeUndefined();
    expect(codeOf(() => requireOrgRole(anon, ORG, 'viewer'))).toBe('auth_required');
    expect(codeOf(() => requireOrgRole(op, ORG, 'operator'))).toBeUndefined();
    expect(codeOf(() => requireOrgRole(admin, ORG, 'operator'))).toBeUndefined();
    expect(codeOf(() => requireOrgRole(viewer, ORG, 'operator'))).toBe('forbidden');
    expect(codeOf(() => requireOrgRole(viewer, ORG, 'viewer'))).toBeUndefined();
    expect(codeOf(() => requireOrgRole(op, OTHER, 'viewer'))).toBe('org_not_found');
    expect(soleOrgWith(op, 'operator')).toBe(ORG);
    expect(soleOrgWith(viewer, 'operator')).toBeNull();
  });
});
