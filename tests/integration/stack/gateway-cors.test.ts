import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../../../stack/src/gateway/server.ts';
import { DEFAULT_KEYS } from '../../../stack/src/keys.ts';
import { createLogger } from '../../../stack/src/log.ts';
import { freePort } from '../../../stack/src/postgres/embedded.ts';

// CORS is the gateway's, as on `supabase start`: the CLI's kong.yml puts Kong's `cors`
// plugin, unconfigured, on every service, and Kong 2.8's handler.lua answers a preflight
// (OPTIONS + Origin + Access-Control-Request-Method) itself with 200, `*`, the requested
// headers echoed and its default method list — no credentials, max-age or Vary — and
// sets `Access-Control-Allow-Origin: *` on every other response, over the service's own.

const KONG_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';
const ORIGIN = 'http://other-origin.test:8080';

/** One path per Kong service the stack serves; none of these reach a handler on preflight. */
const SERVICES = ['/rest/v1/no_such_table', '/auth/v1/user', '/realtime/v1/api/broadcast', '/functions/v1/no-such-function', '/storage/v1/object/basemaps/org/city.pmtiles'];

describe('gateway CORS (Kong cors plugin, default configuration)', () => {
  let apiUrl: string;
  let anonKey: string;
  beforeAll(() => { ({ apiUrl, anonKey } = inject('stack')); });

  it.each(SERVICES)('answers the preflight for %s itself', async (path) => {
    const res = await fetch(`${apiUrl}${path}`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'apikey,authorization,x-custom-thing' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('apikey,authorization,x-custom-thing');
    expect(res.headers.get('access-control-allow-methods')).toBe(KONG_METHODS);
    for (const absent of ['access-control-allow-credentials', 'access-control-max-age', 'vary']) expect(res.headers.get(absent)).toBeNull();
  });

  it('a preflight without requested headers gets no Access-Control-Allow-Headers', async () => {
    const res = await fetch(`${apiUrl}/auth/v1/settings`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-headers')).toBeNull();
  });

  it('every other response of a service carries Access-Control-Allow-Origin: *, with or without an Origin', async () => {
    const settings = await fetch(`${apiUrl}/auth/v1/settings`, { headers: { apikey: anonKey } });
    expect(settings.status).toBe(200);
    expect(settings.headers.get('access-control-allow-origin')).toBe('*');
    // GoTrue's own rs/cors headers pass through, its echoed origin overwritten with *.
    const withOrigin = await fetch(`${apiUrl}/auth/v1/settings`, { headers: { apikey: anonKey, Origin: ORIGIN } });
    expect(withOrigin.headers.get('access-control-allow-origin')).toBe('*');
    expect(withOrigin.headers.get('access-control-allow-credentials')).toBe('true');
    expect(withOrigin.headers.get('access-control-expose-headers')).toBe('X-Total-Count, Link, X-Supabase-Api-Version');
    expect(withOrigin.headers.get('vary')).toBe('Origin');
    const ping = await fetch(`${apiUrl}/realtime/v1/api/ping`);
    expect(ping.headers.get('access-control-allow-origin')).toBe('*');
    const missing = await fetch(`${apiUrl}/functions/v1/no-such-function`, { method: 'POST', headers: { Origin: ORIGIN } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    // PostgREST's own CORS middleware still exposes its headers to the browser.
    const rest = await fetch(`${apiUrl}/rest/v1/no_such_table`, { headers: { apikey: anonKey, Origin: ORIGIN } });
    expect(rest.status).toBe(404);
    expect(rest.headers.get('access-control-allow-origin')).toBe('*');
    expect(rest.headers.get('access-control-expose-headers')).toContain('Content-Range');
  });

  it('an OPTIONS that is not a preflight reaches the service (PostgREST answers with Allow)', async () => {
    const res = await fetch(`${apiUrl}/rest/v1/no_such_table`, { method: 'OPTIONS', headers: { apikey: anonKey } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'PGRST205' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('no CORS outside Kong\'s services: the gateway\'s own 404 and the dashboard', async () => {
    const noRoute = await fetch(`${apiUrl}/nowhere`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' } });
    expect(noRoute.status).toBe(404);
    expect(noRoute.headers.get('access-control-allow-origin')).toBeNull();
    const dash = await fetch(`${apiUrl}/dashboard/`, { headers: { Origin: ORIGIN } });
    expect(dash.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('gateway CORS over a service\'s own headers (header_filter)', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startGateway({ host: '127.0.0.1', port: await freePort(), keys: DEFAULT_KEYS, log: createLogger('cors-test', true) });
    const own = { 'Access-Control-Allow-Origin': 'https://fn.example', 'Access-Control-Expose-Headers': 'x-a' };
    const reply = (res: ServerResponse, form: string): void => {
      if (form === 'object') res.writeHead(201, { ...own, 'content-type': 'text/plain' });
      else if (form === 'flat') res.writeHead(201, Object.entries(own).flat());
      else { res.statusCode = 201; for (const [k, v] of Object.entries(own)) res.setHeader(k, v); }
      res.end('body');
    };
    gateway.mount({ prefix: '/svc/v1', mapKeys: false, handle: (req, res, subpath) => reply(res, subpath.slice(1)) });
  });
  afterAll(async () => { await gateway?.close(); });

  it.each(['object', 'flat', 'implicit'])('sets * over the service\'s origin and keeps its other headers (%s headers)', async (form) => {
    const res = await fetch(`${gateway.url}/svc/v1/${form}`, { headers: { Origin: ORIGIN } });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('body');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('x-a');
  });
});
