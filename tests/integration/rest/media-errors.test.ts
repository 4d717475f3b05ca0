import http from 'node:http';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { client, mintJwt, rest, stackInfo, uniqueName } from './helpers.ts';

// Media types (singular object, CSV, nulls=stripped, 406s), JWT errors, profiles,
// paths and methods, embedding refusals, Prefer handling and time zones, CORS.

const sql = adminSql();
const t = uniqueName('rest_m');
const whoami = uniqueName('rest_who');
const writer = uniqueName('rest_wr');
const gq = uniqueName('rest_gq');

beforeAll(async () => {
  await sql.unsafe(`
    create table public.${t} (id int primary key, name text, note text, at timestamptz);
    insert into public.${t} values (1, 'one', null, '2024-01-01T00:00:00Z'), (2, 'two', 'n', null), (3, 'three', null, null);
    create function public.${whoami}() returns jsonb language sql stable as $$
      select jsonb_build_object('user', current_user, 'claims', current_setting('request.jwt.claims', true)::jsonb,
                                'cookies', current_setting('request.cookies', true)::jsonb) $$;
    create function public.${writer}() returns int language sql volatile as $$ insert into public.${t} values (99, 'side effect') returning 1 $$;
    create view public.${writer}_v as select public.${writer}() as x;
    create schema if not exists graphql_public;
    grant usage on schema graphql_public to anon, authenticated, service_role;
    create table graphql_public.${gq} (id int primary key, v text);
    grant all on graphql_public.${gq} to anon, authenticated, service_role;
    insert into graphql_public.${gq} values (1, 'from graphql_public');`);
});
afterAll(async () => {
  await sql.unsafe(`drop view if exists public.${writer}_v; drop function if exists public.${writer}(); drop function if exists public.${whoami}();
                    drop table if exists public.${t}; drop table if exists graphql_public.${gq}`);
  await sql.end();
});

describe('media types', () => {
  it('a single object with .single(): vnd.pgrst.object+json, 406 PGRST116 on 0 or many rows', async () => {
    const one = await client().from(t).select('id,name').eq('id', 1).single();
    expect(one.data).toEqual({ id: 1, name: 'one' });
    const raw = await rest(`/${t}?id=eq.1&select=id`, { headers: { Accept: 'application/vnd.pgrst.object+json' } });
    expect(raw.headers.get('content-type')).toBe('application/vnd.pgrst.object+json; charset=utf-8');
    const none = await client().from(t).select('id').eq('id', 42).single();
    expect(none.status).toBe(406);
    expect(none.error).toEqual({ code: 'PGRST116', details: 'The result contains 0 rows', hint: null, message: 'Cannot coerce the result to a single JSON object' });
    const many = await client().from(t).select('id').single();
    expect(many.error?.details).toBe('The result contains 3 rows');
  });

  it('.maybeSingle() unwraps 0 or 1 rows on the client', async () => {
    expect((await client().from(t).select('id').eq('id', 42).maybeSingle()).data).toBeNull();
    expect((await client().from(t).select('id').eq('id', 2).maybeSingle()).data).toEqual({ id: 2 });
    const many = await client().from(t).select('id').maybeSingle();
    expect(many.status).toBe(406);
    expect(many.error?.code).toBe('PGRST116');
  });

  it('.csv() answers text/csv with a header line', async () => {
    const { data, error } = await client().from(t).select('id,name,note').order('id').csv();
    expect(error).toBeNull();
    expect(data).toBe('id,name,note\n1,one,\n2,two,n\n3,three,');
    const raw = await rest(`/${t}?select=id&order=id&limit=1`, { headers: { Accept: 'text/csv' } });
    expect(raw.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it('.stripNulls() drops null-valued keys (array and object)', async () => {
    const arr = await client().from(t).select('id,note').order('id').limit(2).stripNulls();
    expect(arr.data).toEqual([{ id: 1 }, { id: 2, note: 'n' }]);
    const raw = await rest(`/${t}?select=id,note&id=eq.1`, { headers: { Accept: 'application/vnd.pgrst.array+json;nulls=stripped' } });
    expect(raw.headers.get('content-type')).toBe('application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8');
    const obj = await client().from(t).select('id,note').eq('id', 3).single().stripNulls();
    expect(obj.data).toEqual({ id: 3 });
  });

  it('an unavailable media type is 406 PGRST107; execution plans are off as on Supabase', async () => {
    const r = await rest(`/${t}`, { headers: { Accept: 'application/xml, text/html' } });
    expect(r.status).toBe(406);
    expect(r.json).toEqual({ code: 'PGRST107', details: null, hint: null, message: 'None of these media types are available: application/xml, text/html' });
    const plan = await rest(`/${t}`, { headers: { Accept: 'application/vnd.pgrst.plan+json; for="application/json"' } });
    expect(plan.status).toBe(406);
    const q = await rest(`/${t}?select=id&id=eq.1`, { headers: { Accept: 'text/html;q=0.5, application/json' } });
    expect(q.status).toBe(200);
  });

  it('every error carries Content-Type and Proxy-Status', async () => {
    const r = await rest('/nope_nope');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(r.headers.get('proxy-status')).toBe('PostgREST; error=PGRST205');
  });
});

describe('JWT', () => {
  const who = async (token: string | undefined, key?: string): Promise<{ status: number; user?: string; body: unknown; www: string | null }> => {
    const r = await rest(`/rpc/${whoami}`, { ...(token !== undefined ? { headers: { Authorization: token } } : {}), ...(key ? { key } : {}) });
    return { status: r.status, user: (r.json as { user?: string } | undefined)?.user, body: r.json, www: r.headers.get('www-authenticate') };
  };

  it('no token is anon; the anon and service keys pick their roles; opaque keys map through the gateway', async () => {
    expect((await who(undefined)).user).toBe('anon');
    expect((await who(undefined, stackInfo().serviceRoleKey)).user).toBe('service_role');
    expect((await who(undefined, 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz')).user).toBe('service_role');
    expect((await who(undefined, 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH')).user).toBe('anon');
  });

  it('an expired token is 401 PGRST303 with WWW-Authenticate; 30 s of skew is allowed', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintJwt({ role: 'authenticated', exp: now - 60 });
    const r = await who(`Bearer ${expired}`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ code: 'PGRST303', details: null, hint: null, message: 'JWT expired' });
    expect(r.www).toBe('Bearer error="invalid_token", error_description="JWT expired"');
    const skewed = await mintJwt({ role: 'authenticated', exp: now - 10 });
    expect((await who(`Bearer ${skewed}`)).user).toBe('authenticated');
    const future = await mintJwt({ role: 'authenticated', nbf: now + 120 });
    expect((await who(`Bearer ${future}`)).body).toMatchObject({ code: 'PGRST303', message: 'JWT not yet valid' });
    const iat = await mintJwt({ role: 'authenticated', iat: now + 120 });
    expect((await who(`Bearer ${iat}`)).body).toMatchObject({ code: 'PGRST303', message: 'JWT issued at future' });
    const aud = await mintJwt({ role: 'authenticated', aud: 5 });
    expect((await who(`Bearer ${aud}`)).body).toMatchObject({ code: 'PGRST303', message: "The JWT 'aud' claim must be a string or an array of strings" });
    const expStr = await mintJwt({ role: 'authenticated', exp: 'soon' });
    expect((await who(`Bearer ${expStr}`)).body).toMatchObject({ code: 'PGRST303', message: "The JWT 'exp' claim must be a number" });
  });

  it('bad tokens are 401 PGRST301 with PostgREST messages', async () => {
    const wrongSecret = await mintJwt({ role: 'authenticated' }, { secret: 'another-secret-that-is-at-least-32-characters' });
    expect((await who(`Bearer ${wrongSecret}`)).body).toEqual({ code: 'PGRST301', details: null, hint: null, message: 'JWT cryptographic operation failed' });
    expect((await who('Bearer abc.def')).body).toMatchObject({ code: 'PGRST301', message: 'Expected 3 parts in JWT; got 2' });
    expect((await who('Bearer ')).body).toMatchObject({ code: 'PGRST301', message: 'Empty JWT is sent in Authorization header' });
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`;
    expect((await who(`Bearer ${none}`)).body).toEqual({
      code: 'PGRST301', details: 'None of the keys was able to decode the JWT', hint: null, message: 'No suitable key or wrong key type',
    });
    const hs512 = await mintJwt({ role: 'authenticated' }, { alg: 'HS512' });
    expect((await who(`bearer ${hs512}`)).user).toBe('authenticated');
  });

  it('a repeated Authorization header: the first one counts, as PostgREST reads it', async () => {
    // fetch cannot send a header twice (Headers joins them), so a raw request.
    const url = new URL(`${stackInfo().apiUrl}/rest/v1/rpc/${whoami}`);
    const send = (first: string, second: string): Promise<{ status: number; user?: string }> => new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname, method: 'GET',
        headers: ['Host', url.host, 'apikey', stackInfo().anonKey, 'Authorization', first, 'Authorization', second],
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => {
          let user: string | undefined;
          try { user = (JSON.parse(text) as { user?: string }).user; } catch { user = `unparsed: ${text}`; }
          resolve({ status: res.statusCode ?? 0, user });
        });
      });
      req.on('error', reject).end();
    });
    const token = await mintJwt({ role: 'authenticated' });
    expect(await send(`Bearer ${token}`, 'Bearer not-a-jwt')).toEqual({ status: 200, user: 'authenticated' });
    expect(await send(`Bearer ${stackInfo().serviceRoleKey}`, `Bearer ${token}`)).toEqual({ status: 200, user: 'service_role' });
    expect((await send('Bearer not-a-jwt', `Bearer ${token}`)).status).toBe(401);
  });

  it('a role that does not exist is 401 (22023); one the authenticator cannot become is refused', async () => {
    const nobody = await mintJwt({ role: 'nobody' });
    const r = await who(`Bearer ${nobody}`);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: '22023', message: 'role "nobody" does not exist' });
    const su = await mintJwt({ role: 'postgres' });
    const s = await who(`Bearer ${su}`);
    expect(s.status).toBe(403);
    expect(s.body).toMatchObject({ code: '42501', message: 'permission denied to set role "postgres"' });
  });

  it('passes the whole claim set, custom claims included, and the cookies', async () => {
    const token = await new SignJWT({ role: 'authenticated', sub: 'u1', org_roles: { 'a-b': 'admin' }, nested: { deep: [1, { x: null }] } })
      .setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(stackInfo().jwtSecret));
    const r = await rest(`/rpc/${whoami}`, { headers: { Authorization: `Bearer ${token}`, Cookie: 'a=1; session=xyz' } });
    const body = r.json as { claims: Record<string, unknown>; cookies: Record<string, string> };
    expect(body.claims).toMatchObject({ role: 'authenticated', sub: 'u1', org_roles: { 'a-b': 'admin' }, nested: { deep: [1, { x: null }] } });
    expect(body.cookies).toEqual({ a: '1', session: 'xyz' });
  });
});

describe('profiles', () => {
  it('Accept-Profile / .schema() selects another exposed schema; responses name the profile', async () => {
    const { data, error } = await client().schema('graphql_public').from(gq).select('v');
    expect(error).toBeNull();
    expect(data).toEqual([{ v: 'from graphql_public' }]);
    const r = await rest(`/${gq}?select=id`, { headers: { 'Accept-Profile': 'graphql_public' } });
    expect(r.headers.get('content-profile')).toBe('graphql_public');
    const pub = await rest(`/${t}?select=id&limit=1`);
    expect(pub.headers.get('content-profile')).toBe('public');
    const missing = await rest(`/${gq}?select=id`);
    expect(missing.status).toBe(404);
  });

  it('Content-Profile selects the schema of a write', async () => {
    const { status, error } = await client().schema('graphql_public').from(gq).insert({ id: 2, v: 'posted' });
    expect(error).toBeNull();
    expect(status).toBe(201);
    const r = await rest(`/${gq}?id=eq.2`, { method: 'DELETE', headers: { 'Content-Profile': 'graphql_public' } });
    expect(r.status).toBe(204);
  });

  it('a schema that is not exposed is 406 PGRST106 listing the exposed ones', async () => {
    const { error, status } = await client().schema('auth').from('users').select('id');
    expect(status).toBe(406);
    expect(error).toEqual({ code: 'PGRST106', details: null, hint: 'Only the following schemas are exposed: public, graphql_public', message: 'Invalid schema: auth' });
  });
});

describe('paths, methods, embedding, preferences', () => {
  it('answers PostgREST errors for unknown tables, paths and methods', async () => {
    const tbl = await rest(`/${t}x`);
    expect(tbl.status).toBe(404);
    expect(tbl.json).toEqual({ code: 'PGRST205', details: null, hint: `Perhaps you meant the table 'public.${t}'`, message: `Could not find the table 'public.${t}x' in the schema cache` });
    expect((await rest(`/${t}/extra`)).json).toMatchObject({ code: 'PGRST125', message: 'Invalid path specified in request URL' });
    const trace = await rest(`/${t}`, { method: 'PROPFIND' });
    expect(trace.status).toBe(405);
    expect(trace.json).toMatchObject({ code: 'PGRST117', message: 'Unsupported HTTP method: PROPFIND' });
    const root = await rest('/');
    expect(root.status).toBe(404);
    expect(root.json).toMatchObject({ code: 'PGRST126' });
  });

  it('OPTIONS lists the allowed methods; CORS preflights are answered', async () => {
    const o = await rest(`/${t}`, { method: 'OPTIONS' });
    expect(o.status).toBe(200);
    expect(o.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE');
    const pre = await rest(`/${t}`, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, prefer' } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization, prefer');
    const get = await rest(`/${t}?select=id&limit=1`, { headers: { Origin: 'http://example.test' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    expect(get.headers.get('access-control-expose-headers')).toContain('Content-Range');
  });

  it('embedding: PGRST200 without a relationship, rows with one, PGRST108 off-select (embedding.test.ts has the rest)', async () => {
    const none = await client().from(t).select('id, orgs(id)');
    expect(none.status).toBe(400);
    expect(none.error).toEqual({
      code: 'PGRST200', hint: null, message: `Could not find a relationship between '${t}' and 'orgs' in the schema cache`,
      details: `Searched for a foreign key relationship between '${t}' and 'orgs' in the schema 'public', but no matches were found.`,
    });
    // anon sees no events (RLS), so the embed answers an empty array rather than an error.
    const fk = await client().from('events').select('id, orgs(slug)').limit(1);
    expect(fk.error).toBeNull();
    expect(fk.status).toBe(200);
    expect(fk.data).toEqual([]);
    const spread = await client().from('events').select('id, ...orgs(slug)').limit(1);
    expect(spread.error).toBeNull();
    const off = await client().from('events').select('id').eq('orgs.slug', 'x');
    expect(off.error).toEqual({ code: 'PGRST108', details: null, hint: "Verify that 'orgs' is included in the 'select' query parameter.", message: "'orgs' is not an embedded resource in this request" });
  });

  it('aggregates are off (PGRST123), as on Supabase', async () => {
    const r = await rest(`/${t}?select=id.sum()`);
    expect(r.json).toEqual({ code: 'PGRST123', details: null, hint: null, message: 'Use of aggregate functions is not allowed' });
  });

  it('handling=strict refuses unknown preferences (PGRST122); lenient ignores them', async () => {
    const strict = await rest(`/${t}?select=id`, { headers: { Prefer: 'handling=strict, foo=bar, count=exact' } });
    expect(strict.status).toBe(400);
    expect(strict.json).toEqual({ code: 'PGRST122', details: 'Invalid preferences: foo=bar', hint: null, message: 'Invalid preferences given with handling=strict' });
    const lenient = await rest(`/${t}?select=id`, { headers: { Prefer: 'foo=bar, count=exact' } });
    expect(lenient.status).toBe(200);
    expect(lenient.headers.get('preference-applied')).toBe('count=exact');
  });

  it('Prefer: timezone= renders timestamptz in that zone and is echoed', async () => {
    const r = await rest(`/${t}?select=at&id=eq.1`, { headers: { Prefer: 'timezone=America/Los_Angeles' } });
    expect(r.json).toEqual([{ at: '2023-12-31T16:00:00-08:00' }]);
    expect(r.headers.get('preference-applied')).toBe('timezone=America/Los_Angeles');
    const bad = await rest(`/${t}?select=at&id=eq.1`, { headers: { Prefer: 'timezone=Nowhere/Land' } });
    expect(bad.json).toEqual([{ at: '2024-01-01T00:00:00+00:00' }]);
    expect(bad.headers.get('preference-applied')).toBeNull();
  });

  it('GET runs read-only: a view that writes answers 405 25006', async () => {
    const r = await rest(`/${writer}_v`);
    expect(r.status).toBe(405);
    expect(r.json).toMatchObject({ code: '25006' });
    expect((await sql.unsafe(`select count(*)::int as n from public.${t} where id = 99`))[0]?.n).toBe(0);
  });
});
