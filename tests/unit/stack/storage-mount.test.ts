import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../stack/src/config.ts';
import { createLogger } from '../../../stack/src/log.ts';
import type { StackService } from '../../../stack/src/service-types.ts';
import { startStorage } from '../../../stack/src/storage/service.ts';
import { callMount } from '../../support/mount-request.ts';

// The /storage/v1 mount called in-process with `new Request(…)`: no socket, no PostgreSQL (the
// pool points at a closed port and is never reached). What it covers is what Storage answers
// before a query — the route table's 404, the jwt plugin's AccessDenied (jose's messages), the
// key check — in Storage's shapes (src/http/error-handler.ts: HTTP 400, the status as text in
// the body). What runs SQL or touches files is tested against the real stack (tests/integration/storage/).

const config = resolveConfig({ quiet: true });
const NO_DB = 'postgres://postgres:postgres@127.0.0.1:1/none';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-mount-'));
const sql = postgres(NO_DB, { max: 1 });
let storage: StackService;
const savedDir = process.env.HOTWATCH_STORAGE_DIR;

beforeAll(async () => {
  process.env.HOTWATCH_STORAGE_DIR = dir;
  storage = await startStorage({ config, apiUrl: 'http://127.0.0.1:54321', dbUrl: NO_DB, sql, log: createLogger('storage-test', true) });
});
afterAll(async () => {
  await storage.stop();
  await sql.end();
  if (savedDir === undefined) delete process.env.HOTWATCH_STORAGE_DIR; else process.env.HOTWATCH_STORAGE_DIR = savedDir;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await callMount(storage.mounts, path, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}

const denied = (message: string) => ({
  status: 400, type: 'application/json; charset=utf-8', body: { statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message },
});

describe('storage mount in-process', () => {
  it('answers a route it does not have with Fastify\'s 404', async () => {
    expect(await call('/no/such/route', { method: 'PATCH' })).toEqual({
      status: 404, type: 'application/json; charset=utf-8',
      body: { statusCode: 404, error: 'Not Found', message: 'Route PATCH:/storage/v1/no/such/route not found' },
    });
    expect((await call('/object/b/k', { method: 'PATCH' })).status).toBe(404);
  });

  it('refuses a missing, malformed, expired or forged JWT with jose\'s message before any query', async () => {
    expect(await call('/bucket')).toEqual(denied('Invalid Compact JWS'));
    expect(await call('/object/b/k', { headers: { authorization: 'Bearer not.a.jwt' } })).toEqual(denied('JWS Protected Header is invalid'));
    const sign = (secret: string, exp: number): Promise<string> => new SignJWT({ role: 'service_role' }).setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(exp).sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign(config.keys.jwtSecret, now - 120);
    expect(await call('/bucket/b', { headers: { authorization: `Bearer ${expired}` } })).toEqual(denied('"exp" claim timestamp check failed'));
    const forged = await sign('another-secret-of-at-least-thirty-two-chars', now + 120);
    expect(await call('/object/list/b', { method: 'POST', body: '{}', headers: { authorization: `Bearer ${forged}` } })).toEqual(denied('signature verification failed'));
  });

  it('refuses an object key with control characters before reading the upload', async () => {
    expect(await call('/object/b/bad%01name', { method: 'POST', body: 'x' })).toEqual({
      status: 400, type: 'application/json; charset=utf-8',
      body: { statusCode: '400', code: 'InvalidKey', error: 'InvalidKey', message: 'Invalid key: bad\u0001name' },
    });
  });
});
