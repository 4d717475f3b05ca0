import { SignJWT } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../stack/src/config.ts';
import { createFunctionsGateway, type FunctionsGateway } from '../../../stack/src/functions-gateway/service.ts';
import { createLogger } from '../../../stack/src/log.ts';
import { FIXTURE_FUNCTIONS } from '../../fixtures/functions/fixtures.ts';
import { callMount } from '../../support/mount-request.ts';

// The /functions/v1 mount called in-process with `new Request(…)`: no socket, no Deno worker,
// no database. What it covers is what the gateway answers itself before a worker is asked —
// routing, the edge runtime's JWT check (supabase/cli internal/functions/serve/templates/main.ts:
// its 401 `{ msg }` bodies) and the declared body limit. What needs a worker (streaming, worker
// errors, limits under load) is tested through a real gateway (tests/integration/functions-gateway/).

const config = resolveConfig({ quiet: true });
const MAX_BODY = 16;
let gw: FunctionsGateway;
// Never connected: createFunctionsGateway only needs the URL for the functions' env.
const sql = postgres('postgres://127.0.0.1:1/none', { max: 1 });

beforeAll(async () => {
  const ctx = { config, apiUrl: 'http://127.0.0.1:54321', dbUrl: 'postgres://127.0.0.1:1/none', sql, log: createLogger('functions-test', true) };
  gw = await createFunctionsGateway(ctx, { extraFunctions: FIXTURE_FUNCTIONS, limits: { maxBodyBytes: MAX_BODY } });
});
afterAll(async () => {
  // Nothing here may have reached a worker.
  for (const name of gw.functions.keys()) expect(gw.worker(name)).toBeUndefined();
  await gw.stop();
  await sql.end();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: string }> {
  const res = await callMount(gw.mounts, path, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const sign = (secret: string, exp: string | number = '1h'): Promise<string> =>
  new SignJWT({ role: 'anon' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('functions mount in-process: routing', () => {
  it('answers an unknown function, with any method, as the edge runtime does', async () => {
    for (const init of [{}, { method: 'POST', body: '{}' }, { method: 'DELETE' }]) {
      expect(await call('/no-such-function/a/b', init)).toEqual({ status: 404, type: 'text/plain', body: 'Function not found' });
    }
  });

  it('answers the bare prefix and an empty name with the same 404', async () => {
    expect(await call('')).toEqual({ status: 404, type: 'text/plain', body: 'Function not found' });
    expect(await call('//hello')).toEqual({ status: 404, type: 'text/plain', body: 'Function not found' });
  });
});

describe('functions mount in-process: verify_jwt', () => {
  const rejected = (msg: string) => ({ status: 401, type: 'application/json', body: JSON.stringify({ msg }) });

  it('refuses a request without Authorization', async () => {
    expect(await call('/hello')).toEqual(rejected('Error: Missing authorization header'));
  });

  it('refuses a scheme other than Bearer', async () => {
    expect(await call('/hello', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })).toEqual(rejected("Error: Auth header is not 'Bearer {token}'"));
  });

  it('refuses a token signed with another secret, an expired one, and one that is not a JWT', async () => {
    const forged = await sign('another-secret-that-is-at-least-32-characters-long');
    const expired = await sign(config.keys.jwtSecret, Math.floor(Date.now() / 1000) - 60);
    for (const token of [forged, expired, 'not-a-jwt', '']) {
      expect(await call('/hello/sub', { method: 'POST', body: 'x', headers: { authorization: `Bearer ${token}` } })).toEqual(rejected('Invalid JWT'));
    }
  });

  it('checks the JWT before the body limit', async () => {
    expect(await call('/hello', { method: 'POST', body: 'x'.repeat(MAX_BODY + 1) })).toEqual(rejected('Error: Missing authorization header'));
  });
});

describe('functions mount in-process: limits', () => {
  const tooLarge = { status: 413, type: 'application/json', body: JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message: 'Request body exceeds the functions gateway limit' }) };

  it('refuses a declared body over the limit before asking a worker (open function, and after a valid JWT)', async () => {
    const body = 'x'.repeat(MAX_BODY + 1);
    const length = { 'content-length': String(body.length) };
    expect(await call('/hello-open', { method: 'POST', body, headers: length })).toEqual(tooLarge);
    const token = await sign(config.keys.jwtSecret);
    expect(await call('/hello', { method: 'PUT', body, headers: { ...length, authorization: `Bearer ${token}` } })).toEqual(tooLarge);
  });
});
