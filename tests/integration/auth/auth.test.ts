import { createClient, type AuthChangeEvent, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, TEST_PASSWORD } from '../../support/fixtures.ts';

const stack = inject('stack');
const sql = adminSql();
afterAll(() => sql.end());

const NORTHSIDE = '11111111-1111-4111-8111-111111111111';

function client(): SupabaseClient {
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

async function rawToken(grant: string, body: unknown, apiVersion?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { apikey: stack.anonKey, 'content-type': 'application/json' };
  if (apiVersion) headers['x-supabase-api-version'] = apiVersion;
  const res = await fetch(`${stack.apiUrl}/auth/v1/token?grant_type=${grant}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('auth: password sign-in', () => {
  it('signs in a demo operator with Supabase\'s full claim set plus the hook\'s org_roles', async () => {
    const supabase = client();
    const { data, error } = await supabase.auth.signInWithPassword({ email: 'operator@northside.demo', password: 'hotwatch-demo' });
    expect(error).toBeNull();
    const session = data.session;
    expect(session?.token_type).toBe('bearer');
    expect(session?.expires_in).toBe(3600);
    expect(session?.refresh_token).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const claims = decodeJwt(session?.access_token ?? '');
    expect(Object.keys(claims)).toEqual(expect.arrayContaining([
      'iss', 'aud', 'exp', 'iat', 'sub', 'role', 'aal', 'session_id', 'email', 'phone', 'is_anonymous', 'app_metadata', 'user_metadata', 'amr', 'org_roles',
    ]));
    expect(claims).toMatchObject({
      iss: `${stack.apiUrl}/auth/v1`, aud: 'authenticated', sub: 'aaaaaaaa-0000-4000-8000-000000000002', role: 'authenticated',
      aal: 'aal1', email: 'operator@northside.demo', phone: '', is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: { display_name: 'Omar Operator' },
      org_roles: { [NORTHSIDE]: 'operator' },
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims.amr).toEqual([{ method: 'password', timestamp: expect.any(Number) }]);
    expect(session?.user).toMatchObject({ id: claims.sub, email: 'operator@northside.demo', aud: 'authenticated', role: 'authenticated' });
    const [row] = await sql<{ ip: string }[]>`select host(ip) as ip from auth.sessions where id = ${String(claims.session_id)}`;
    // No X-Forwarded-For: GoTrue records the connection's address (the fetch adapter's MountPeer).
    expect(row?.ip).toBe('127.0.0.1');
  });

  it('puts every membership of a fresh org into org_roles', async () => {
    const org = await createTestOrg(sql, 'auth');
    const supabase = client();
    const { data, error } = await supabase.auth.signInWithPassword({ email: org.viewer.email, password: TEST_PASSWORD });
    expect(error).toBeNull();
    expect(decodeJwt(data.session?.access_token ?? '').org_roles).toEqual({ [org.id]: 'viewer' });
  });

  it('answers wrong credentials as GoTrue does, in both error shapes', async () => {
    const supabase = client();
    const wrong = await supabase.auth.signInWithPassword({ email: 'operator@northside.demo', password: 'nope-nope' });
    expect(wrong.error).toMatchObject({ name: 'AuthApiError', status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
    const unknown = await supabase.auth.signInWithPassword({ email: 'nobody@nowhere.demo', password: 'hotwatch-demo' });
    expect(unknown.error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });

    const legacy = await rawToken('password', { email: 'operator@northside.demo', password: 'x' });
    expect(legacy.status).toBe(400);
    expect(legacy.body).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
    const versioned = await rawToken('password', { email: 'operator@northside.demo', password: 'x' }, '2024-01-01');
    expect(versioned.body).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
    expect(versioned.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    const missing = await rawToken('password', { password: 'x' });
    expect(missing.body).toEqual({ code: 400, error_code: 'validation_failed', msg: 'missing email or phone' });
  });

  it('refuses unconfirmed e-mail addresses', async () => {
    const org = await createTestOrg(sql, 'unconf');
    await sql`update auth.users set email_confirmed_at = null where id = ${org.operator.id}`;
    const { error } = await client().auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    expect(error).toMatchObject({ status: 400, code: 'email_not_confirmed', message: 'Email not confirmed' });
  });
});

describe('auth: session lifecycle through supabase-js', () => {
  it('signs in, refreshes, reads the user and signs out, with onAuthStateChange events', async () => {
    const org = await createTestOrg(sql, 'life');
    const supabase = client();
    const events: AuthChangeEvent[] = [];
    const { data: sub } = supabase.auth.onAuthStateChange((event) => { events.push(event); });

    const signIn = await supabase.auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    expect(signIn.error).toBeNull();
    const first = signIn.data.session!;
    expect(supabase.realtime.accessTokenValue).toBe(first.access_token);

    const user = await supabase.auth.getUser();
    expect(user.data.user).toMatchObject({ id: org.operator.id, email: org.operator.email });

    await new Promise((r) => setTimeout(r, 1100)); // a later iat
    const refreshed = await supabase.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    const second = refreshed.data.session!;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const c1 = decodeJwt(first.access_token);
    const c2 = decodeJwt(second.access_token);
    expect(c2.session_id).toBe(c1.session_id);
    expect(c2.org_roles).toEqual({ [org.id]: 'operator' });
    expect(c2.amr).toEqual(c1.amr);
    expect(supabase.realtime.accessTokenValue).toBe(second.access_token);

    expect((await supabase.auth.signOut()).error).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toEqual(expect.arrayContaining(['SIGNED_IN', 'TOKEN_REFRESHED', 'SIGNED_OUT']));
    sub.subscription.unsubscribe();

    // The signed-out session's tokens are dead.
    const after = await fetch(`${stack.apiUrl}/auth/v1/user`, { headers: { apikey: stack.anonKey, authorization: `Bearer ${second.access_token}` } });
    expect(after.status).toBe(403);
    expect(await after.json()).toEqual({ code: 403, error_code: 'session_not_found', msg: 'Session from session_id claim in JWT does not exist' });
    const again = await rawToken('refresh_token', { refresh_token: second.refresh_token });
    expect(again.body).toEqual({ code: 400, error_code: 'refresh_token_not_found', msg: 'Invalid Refresh Token: Refresh Token Not Found' });
  });

  it('rotates refresh tokens: the parent of the active token is reused, older reuse revokes the session', async () => {
    const org = await createTestOrg(sql, 'rot');
    const login = await rawToken('password', { email: org.operator.email, password: TEST_PASSWORD });
    const t0 = String(login.body.refresh_token);
    const r1 = await rawToken('refresh_token', { refresh_token: t0 });
    expect(r1.status).toBe(200);
    const t1 = String(r1.body.refresh_token);
    // The client lost r1's answer and retries with t0: it gets t1 again, not a new token.
    const retry = await rawToken('refresh_token', { refresh_token: t0 });
    expect(retry.status).toBe(200);
    expect(retry.body.refresh_token).toBe(t1);
    const r2 = await rawToken('refresh_token', { refresh_token: t1 });
    const t2 = String(r2.body.refresh_token);
    // t0 is now two generations old and (pretend) outside the 10 s reuse interval.
    await sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${t0}`;
    const reuse = await rawToken('refresh_token', { refresh_token: t0 }, '2024-01-01');
    expect(reuse.status).toBe(400);
    expect(reuse.body).toEqual({ code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' });
    // The whole session's tokens were revoked (and that revocation was committed).
    const [counted] = await sql<{ live: number }[]>`
      select count(*)::int as live from auth.refresh_tokens where user_id = ${org.operator.id} and not revoked`;
    expect(counted?.live).toBe(0);
    await sql`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = ${t2}`;
    expect((await rawToken('refresh_token', { refresh_token: t2 })).body.error_code).toBe('refresh_token_already_used');
  });

  it('rejects missing, forged and expired bearer tokens on /user as GoTrue does', async () => {
    const none = await fetch(`${stack.apiUrl}/auth/v1/user`, { headers: { 'x-supabase-api-version': '2024-01-01' } });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ code: 'no_authorization', message: 'This endpoint requires a valid Bearer token' });
    const anon = await fetch(`${stack.apiUrl}/auth/v1/user`, { headers: { apikey: stack.anonKey } });
    expect(anon.status).toBe(403);
    expect(await anon.json()).toEqual({ code: 403, error_code: 'bad_jwt', msg: 'invalid claim: missing sub claim' });
    const forged = await fetch(`${stack.apiUrl}/auth/v1/user`, {
      headers: { authorization: `Bearer ${stack.anonKey.slice(0, -4)}AAAA` },
    });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { msg: string }).msg).toMatch(/^invalid JWT: unable to parse or verify signature, token signature is invalid/);
  });

  it('the new access token reaches REST with the hook\'s tenancy (when REST is mounted)', async () => {
    const probe = await fetch(`${stack.apiUrl}/rest/v1/`, { headers: { apikey: stack.anonKey } });
    if (probe.status === 404 && ((await probe.json()) as { message?: string }).message === 'no Route matched with those values') return;
    const org = await createTestOrg(sql, 'rest');
    const supabase = client();
    await supabase.auth.signInWithPassword({ email: org.viewer.email, password: TEST_PASSWORD });
    const { data, error } = await supabase.from('orgs').select('id');
    expect(error).toBeNull();
    expect(data).toEqual([{ id: org.id }]);
  });

  it('the signed-in user\'s token authorizes exactly their org\'s private Realtime topics', async () => {
    const org = await createTestOrg(sql, 'rtauth');
    const other = await createTestOrg(sql, 'rtauth2');
    const supabase = client();
    await supabase.auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    const join = (topic: string): Promise<string> => new Promise((resolve) => {
      supabase.channel(topic, { config: { private: true } }).subscribe((status) => {
        if (status !== 'CLOSED') resolve(status);
      });
    });
    try {
      expect(await join(`org:${org.id}:alerts`)).toBe('SUBSCRIBED');
      expect(await join(`org:${other.id}:alerts`)).toBe('CHANNEL_ERROR');
    } finally {
      await supabase.removeAllChannels();
    }
  });
});
