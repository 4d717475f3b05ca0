import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { startFunctionsHarness, type FunctionsHarness } from './harness.ts';

// Small wall-clock and idle limits so their effects show within a test.
const sql = adminSql();
let h: FunctionsHarness;
beforeAll(async () => { h = await startFunctionsHarness(sql, { wallClockMs: 6_000, requestIdleTimeoutMs: 2_000 }); });
afterAll(async () => { await h.stop(); await sql.end(); });

const getFrom = async (harness: FunctionsHarness, path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`${harness.apiUrl}/functions/v1/${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const get = (path: string) => getFrom(h, path);

describe('functions gateway: wall clock, idle timeout, background tasks', () => {
  it('answers 504 when the function does not respond within the request idle timeout', async () => {
    const slow = await get('hello-open/sleep?ms=4000');
    expect(slow.status).toBe(504);
    expect(slow.body).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect((await get('hello-open/sleep?ms=10')).status).toBe(200);
  });

  it('replaces a worker before its wall clock can cut a request short', async () => {
    const first = await get('hello-open/sleep?ms=1');
    // After wallClock − idleTimeout (4 s) new requests go to a fresh worker.
    await new Promise((r) => setTimeout(r, 4_500));
    const second = await get('hello-open/sleep?ms=1');
    expect(second.status).toBe(200);
    expect(second.body.pid).not.toBe(first.body.pid);
  });

  it('runs EdgeRuntime.waitUntil work after the response', async () => {
    const marker = randomUUID();
    const seen = new Promise<string>((resolve) => {
      void sql.listen('hello_background', (payload) => { if (payload === marker) resolve(payload); });
    });
    const res = await get(`hello-open/background?marker=${marker}`);
    expect(res.body).toEqual({ accepted: true });
    await expect(Promise.race([seen, new Promise((_, rej) => setTimeout(() => rej(new Error('no background notify')), 10_000))]))
      .resolves.toBe(marker);
  });
});

// Default idle timeout (a CPU burn on a loaded machine takes more than 2 s of wall clock).
describe('functions gateway: a retired worker and its background tasks', () => {
  let roomy: FunctionsHarness;
  beforeAll(async () => { roomy = await startFunctionsHarness(sql, { wallClockMs: 30_000 }); });
  afterAll(async () => { await roomy.stop(); });

  it('a worker retired over the soft CPU limit finishes its EdgeRuntime.waitUntil work before it exits', async () => {
    const marker = randomUUID();
    const seen = new Promise<string>((resolve) => {
      void sql.listen('hello_background', (payload) => { if (payload === marker) resolve(payload); });
    });
    const started = await getFrom(roomy, `hello-open/background?marker=${marker}&ms=2500`);
    expect(started.body).toEqual({ accepted: true });
    // A request in the same worker over the soft CPU limit (1 s) retires it while the task waits.
    const burn = await getFrom(roomy, 'hello-open/burn?ms=1200');
    expect(burn.status).toBe(200);
    const next = await getFrom(roomy, 'hello-open/sleep?ms=1');
    expect(next.body.pid).not.toBe(burn.body.pid);
    await expect(Promise.race([seen, new Promise((_, rej) => setTimeout(() => rej(new Error('the retired worker dropped its background task')), 15_000))]))
      .resolves.toBe(marker);
  });
});
