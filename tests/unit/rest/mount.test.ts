import { SignJWT } from 'jose';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../stack/src/log.ts';
import { JwtVerifier } from '../../../stack/src/rest/auth.ts';
import { DEFAULT_REST_CONFIG, type RestConfig } from '../../../stack/src/rest/config.ts';
import type { RestContext } from '../../../stack/src/rest/handlers/context.ts';
import { restFetchHandler } from '../../../stack/src/rest/mount.ts';
import { qiKey, SchemaCacheHolder, type Column, type SchemaCache, type Table } from '../../../stack/src/rest/schema-cache.ts';

// The /rest/v1 mount called in-process with `new Request(…)`: no socket, no PostgreSQL. What it
// covers is the layer before the first query — grammar, preferences, ranges, profiles, methods,
// the schema cache lookups and the error registry — with PostgREST v14's codes, statuses and
// bodies (src/PostgREST/Error.hs: `{code, details, hint, message}`, Content-Type
// `application/json; charset=utf-8`, `Proxy-Status: PostgREST; error=<code>`). What runs SQL is
// tested against the real stack (tests/integration/rest/).

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

const column = (name: string, type: string, nullable = true): Column => ({ name, type, baseType: type, nullable, default: null });

function table(name: string, columns: Column[], pk: string[]): Table {
  return {
    schema: 'public', name, kind: 'r', columns: new Map(columns.map((c) => [c.name, c])), columnList: columns, pk,
    insertable: true, updatable: true, deletable: true,
  };
}

/** The schema cache fixture: two tables, as loadSchemaCache would describe them. */
function fixtureCache(): SchemaCache {
  const tables = [
    table('hotspots', [column('id', 'bigint', false), column('org_id', 'uuid', false), column('severity', 'text')], ['id']),
    table('alerts', [column('id', 'bigint', false), column('state', 'text')], ['id']),
  ];
  return {
    tables: new Map(tables.map((t) => [qiKey(t.schema, t.name), t])),
    routines: new Map(), relationships: new Map(), roleSettings: new Map(),
    timezones: new Set(['UTC', 'Europe/Paris']), typeNames: new Set(['text', 'int', 'bigint']), loadedAt: Date.now(),
  };
}

/** A pool that fails loudly if a case reaches the database (those belong in integration tests). */
function noDatabase(): pg.Pool {
  const pool = new pg.Pool();
  pool.connect = (() => Promise.reject(new Error('in-process REST test reached the database'))) as typeof pool.connect;
  return pool;
}

function mount(config: Partial<RestConfig> = {}): (request: Request, subpath: string) => Promise<Response> {
  const log = createLogger('rest-test', true);
  const cache = new SchemaCacheHolder(async () => fixtureCache(), log);
  const ctx: RestContext = { config: { ...DEFAULT_REST_CONFIG, dbSchemas: ['public'], ...config }, pool: noDatabase(), cache, log };
  const handler = restFetchHandler(ctx, new JwtVerifier(SECRET, 'anon'));
  return async (request, subpath) => {
    await cache.reload();
    return handler(request, subpath);
  };
}

const BASE = 'http://127.0.0.1:54321/rest/v1';

async function call(path: string, init: RequestInit = {}, config: Partial<RestConfig> = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const url = new URL(BASE + path);
  const res = await mount(config)(new Request(url, init), url.pathname.slice('/rest/v1'.length) || '/');
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** PostgREST's error: exactly these four keys, the registry's status, its headers. */
async function expectError(path: string, init: RequestInit, status: number, body: { code: string; message?: string; details?: unknown; hint?: unknown }, config?: Partial<RestConfig>): Promise<void> {
  const r = await call(path, init, config);
  expect(r.status).toBe(status);
  expect(Object.keys(r.body as object).sort()).toEqual(['code', 'details', 'hint', 'message']);
  expect(r.body).toMatchObject(body);
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(r.headers.get('proxy-status')).toBe(`PostgREST; error=${body.code}`);
}

describe('REST mount in-process: query-string grammar (PGRST100)', () => {
  it('a select that does not parse is 400 with parsec\'s position in the message', async () => {
    const r = await call('/hotspots?select=id,(');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PGRST100', hint: null });
    const { message, details } = r.body as { message: string; details: string };
    expect(message).toMatch(/^"failed to parse select parameter \(id,\(\)" \(line 1, column \d+\)$/);
    expect(details).toMatch(/^unexpected /);
  });

  it('an unknown filter operator is 400 PGRST100 naming the filter', async () => {
    await expectError('/hotspots?severity=foo.high', {}, 400, { code: 'PGRST100', hint: null });
    const r = await call('/hotspots?severity=foo.high');
    expect((r.body as { message: string }).message).toMatch(/^"failed to parse filter \(foo\.high\)" \(line 1, column \d+\)$/);
  });

  it('a bad order term is 400 PGRST100', async () => {
    const r = await call('/hotspots?order=id.sideways');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PGRST100' });
    expect((r.body as { message: string }).message).toMatch(/^"failed to parse order \(id\.sideways\)"/);
  });
});

describe('REST mount in-process: resources and methods', () => {
  it('an unknown table is 404 PGRST205 with the closest name as hint (from the schema cache fixture)', async () => {
    await expectError('/hotspot', {}, 404, {
      code: 'PGRST205', details: null, hint: "Perhaps you meant the table 'public.hotspots'",
      message: "Could not find the table 'public.hotspot' in the schema cache",
    });
  });

  it('an unknown table with nothing close has a null hint', async () => {
    await expectError('/zzzzzzzzzz', {}, 404, { code: 'PGRST205', hint: null, message: "Could not find the table 'public.zzzzzzzzzz' in the schema cache" });
  });

  it('a path deeper than /<table> or /rpc/<fn> is 404 PGRST125', async () => {
    await expectError('/hotspots/1/2', {}, 404, { code: 'PGRST125', details: null, hint: null, message: 'Invalid path specified in request URL' });
  });

  it('the root is 404 PGRST126 (OpenAPI disabled, as on Supabase)', async () => {
    await expectError('/', {}, 404, { code: 'PGRST126', message: 'Root endpoint metadata is disabled' });
  });

  it('an unsupported method is 405 PGRST117', async () => {
    await expectError('/hotspots', { method: 'PURGE' }, 405, { code: 'PGRST117', message: 'Unsupported HTTP method: PURGE' });
  });

  it('PATCH on a function is 405 PGRST101', async () => {
    await expectError('/rpc/anything', { method: 'PATCH', body: '{}', headers: { 'content-type': 'application/json' } }, 405,
      { code: 'PGRST101', message: 'Cannot use the PATCH method on RPC' });
  });

  it('OPTIONS answers Allow from the cache entry, no body', async () => {
    const r = await call('/hotspots', { method: 'OPTIONS' });
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE');
    expect(r.body).toBeUndefined();
  });
});

describe('REST mount in-process: headers', () => {
  it('a Range whose lower bound is above its upper is 416 PGRST103', async () => {
    await expectError('/hotspots', { headers: { range: '5-2' } }, 416, {
      code: 'PGRST103', message: 'Requested range not satisfiable',
      details: 'The lower boundary must be lower than or equal to the upper boundary in the Range header.',
    });
  });

  it('a negative limit is 416 PGRST103', async () => {
    await expectError('/hotspots?limit=-1', {}, 416, { code: 'PGRST103', details: 'Limit should be greater than or equal to zero.' });
  });

  it('handling=strict with an unknown preference is 400 PGRST122, across repeated Prefer headers', async () => {
    const headers = new Headers([['prefer', 'handling=strict'], ['prefer', 'foo=bar, count=exact']]);
    await expectError('/hotspots', { headers }, 400, {
      code: 'PGRST122', message: 'Invalid preferences given with handling=strict', details: 'Invalid preferences: foo=bar', hint: null,
    });
  });

  it('an Accept-Profile outside the exposed schemas is 406 PGRST106', async () => {
    await expectError('/hotspots', { headers: { 'accept-profile': 'secret' } }, 406, {
      code: 'PGRST106', message: 'Invalid schema: secret', hint: 'Only the following schemas are exposed: public, api',
    }, { dbSchemas: ['public', 'api'] });
  });

  it('a body that is not JSON is 400 PGRST102', async () => {
    await expectError('/hotspots', { method: 'POST', body: '{"id":', headers: { 'content-type': 'application/json' } }, 400, { code: 'PGRST102' });
  });

  it('a streamed body over the limit is 413', async () => {
    const r = await call('/hotspots', { method: 'POST', body: JSON.stringify({ severity: 'x'.repeat(200) }), headers: { 'content-type': 'application/json' } }, { maxBodyBytes: 64 });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: 'PGRST102', message: 'Request body exceeds the 64-byte limit' });
  });

  it('a declared Content-Length over the limit is 413 before the body is read', async () => {
    const body = new ReadableStream<Uint8Array>({ pull() { throw new Error('the body was read'); } });
    const r = await call('/hotspots', { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/json', 'content-length': '65' } } as RequestInit, { maxBodyBytes: 64 });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: 'PGRST102' });
  });

  it('a token signed with another secret is 401 PGRST301 with WWW-Authenticate', async () => {
    const token = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
    const r = await call('/hotspots', { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'PGRST301' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  });

  it('HEAD errors keep status and headers, with an empty body', async () => {
    const url = new URL(`${BASE}/hotspot`);
    const res = await mount()(new Request(url, { method: 'HEAD' }), '/hotspot');
    expect(res.status).toBe(404);
    expect(res.headers.get('proxy-status')).toBe('PostgREST; error=PGRST205');
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
  });

  it('a request with an Origin gets PostgREST\'s exposed headers; one without does not', async () => {
    const withOrigin = await call('/hotspot', { headers: { origin: 'http://localhost:5173' } });
    expect(withOrigin.headers.get('access-control-expose-headers')).toContain('Content-Range');
    const without = await call('/hotspot');
    expect(without.headers.get('access-control-expose-headers')).toBeNull();
  });
});
