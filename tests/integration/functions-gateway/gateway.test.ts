import { getEventListeners } from 'node:events';
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, TEST_PASSWORD } from '../../support/fixtures.ts';
import { startFunctionsHarness, type FunctionsHarness } from './harness.ts';

const stack = inject('stack');
const sql = adminSql();
let h: FunctionsHarness;

function client(): SupabaseClient {
  return createClient(h.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

interface Echo {
  method: string; path: string; search: string; body: string | null; pid: number;
  claims: Record<string, unknown> | null; env: Record<string, string>; envKeys: string[];
}

beforeAll(async () => { h = await startFunctionsHarness(sql); });
afterAll(async () => { await h.stop(); await sql.end(); });

describe('functions gateway: routing, JWT and env', () => {
  it('answers unknown functions like the edge runtime', async () => {
    const res = await fetch(`${h.apiUrl}/functions/v1/no-such-function`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('Function not found');
  });

  it('rejects requests without a valid JWT when verify_jwt is on', async () => {
    const none = await fetch(`${h.apiUrl}/functions/v1/hello`, { method: 'POST' });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ msg: 'Error: Missing authorization header' });
    const basic = await fetch(`${h.apiUrl}/functions/v1/hello`, { method: 'POST', headers: { authorization: 'Basic abc' } });
    expect(await basic.json()).toEqual({ msg: "Error: Auth header is not 'Bearer {token}'" });
    const forged = await fetch(`${h.apiUrl}/functions/v1/hello`, {
      method: 'POST', headers: { authorization: `Bearer ${stack.anonKey.slice(0, -3)}abc` },
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ msg: 'Invalid JWT' });
  });

  it('functions.invoke with the anon key only, then with a signed-in user\'s token', async () => {
    const supabase = client();
    const anon = await supabase.functions.invoke<Echo>('hello/sub/path', { body: { n: 1 } });
    expect(anon.error).toBeNull();
    expect(anon.data).toMatchObject({ method: 'POST', path: '/hello/sub/path', body: '{"n":1}' });
    expect(anon.data?.claims).toMatchObject({ role: 'anon' });

    const org = await createTestOrg(sql, 'fn');
    const { data: signIn, error } = await supabase.auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    expect(error).toBeNull();
    const user = await supabase.functions.invoke<Echo>('hello', { body: 'plain text' });
    expect(user.data?.claims).toMatchObject({ sub: org.operator.id, role: 'authenticated', org_roles: { [org.id]: 'operator' } });
    expect(user.data?.body).toBe('plain text');

    // After a refresh the new token is what the function sees.
    await new Promise((r) => setTimeout(r, 1100));
    const refreshed = await supabase.auth.refreshSession();
    const again = await supabase.functions.invoke<Echo>('hello', { method: 'GET' });
    expect(again.data?.claims).toEqual(decodeJwt(refreshed.data.session?.access_token ?? ''));
    expect(again.data?.claims?.iat).toBeGreaterThan(Number(decodeJwt(signIn.session?.access_token ?? '').iat));
    expect(again.data?.method).toBe('GET');
  });

  it('maps sb_publishable_/sb_secret_ keys to JWTs before the check (as Kong does)', async () => {
    const res = await fetch(`${h.apiUrl}/functions/v1/hello`, { method: 'POST', headers: { apikey: 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).claims).toMatchObject({ role: 'service_role' });
  });

  it('skips the check for verify_jwt = false and for OPTIONS; a CORS preflight is answered by the gateway, as Kong\'s cors plugin does', async () => {
    const open = await fetch(`${h.apiUrl}/functions/v1/hello-open?x=1`);
    expect(open.status).toBe(200);
    expect(((await open.json()) as Echo).search).toBe('?x=1');
    // Kong's cors plugin (on functions-v1 in the CLI's kong.yml) answers the preflight itself.
    const preflight = await fetch(`${h.apiUrl}/functions/v1/hello`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(200);
    expect(await preflight.text()).toBe('');
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT');
    // A plain OPTIONS (no Access-Control-Request-Method) reaches the function, without a JWT check.
    const plain = await fetch(`${h.apiUrl}/functions/v1/hello`, { method: 'OPTIONS' });
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe('ok');
    expect(plain.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
  });

  it('injects Supabase\'s env (and nothing of the host\'s) and resolves npm imports from node_modules', async () => {
    const { data } = await client().functions.invoke<Echo>('hello');
    expect(data?.env).toMatchObject({
      SUPABASE_URL: h.apiUrl,
      SUPABASE_ANON_KEY: stack.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      SUPABASE_DB_URL: stack.dbUrl,
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH' }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz' }),
    });
    for (const hidden of ['HOME', 'PATH', 'PWD', 'HOSTNAME', 'DENO_DIR', 'HOTWATCH_FN_ENTRY']) expect(data?.envKeys).not.toContain(hidden);
    const db = await client().functions.invoke<{ user: string }>('hello/db');
    expect(db.data).toEqual({ user: 'postgres' });
  });

  it('serves `export default { fetch }` functions too', async () => {
    const res = await fetch(`${h.apiUrl}/functions/v1/default-export/a/b`);
    expect(await res.text()).toBe('default export saw /default-export/a/b');
  });

  it('keeps a worker warm across requests', async () => {
    const a = await fetch(`${h.apiUrl}/functions/v1/hello-open`).then((r) => r.json() as Promise<Echo>);
    const b = await fetch(`${h.apiUrl}/functions/v1/hello-open`).then((r) => r.json() as Promise<Echo>);
    expect(b.pid).toBe(a.pid);
  });

  it('leaves no listener on the request\'s signal once the exchange is over (the soak saw ≈ 24 KB kept per request)', async () => {
    const mount = h.functionsGateway.mounts!.find((m) => m.prefix === '/functions/v1')!;
    for (const method of ['GET', 'POST']) {
      const abort = new AbortController();
      const req = new Request(`${h.apiUrl}/functions/v1/hello-open`, { method, signal: abort.signal, ...(method === 'POST' ? { body: '{}' } : {}) });
      const res = await mount.fetch!(req, '/hello-open', {});
      expect(res.status).toBe(200);
      await res.text();
      // The upstream's 'close' (which ends the exchange) follows the body's end.
      const deadline = Date.now() + 5_000;
      while (getEventListeners(req.signal, 'abort').length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(getEventListeners(req.signal, 'abort')).toHaveLength(0);
    }
  });

  it('refuses bodies over the gateway limit', async () => {
    const big = 'x'.repeat(h.functionsGateway.limits.maxBodyBytes + 1);
    const res = await fetch(`${h.apiUrl}/functions/v1/hello-open`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });
});

describe('functions gateway: streaming both ways', () => {
  const url = (path: string): string => `${h.apiUrl}/functions/v1/hello-open/${path}`;

  it('passes a Server-Sent Events body on as it comes (the second event is only sent after the first was read)', async () => {
    const res = await fetch(url('stream'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    expect(await fetch(url('stream-release')).then((r) => r.json())).toEqual({ released: true });
    let rest = '';
    for (let c = await reader.read(); !c.done; c = await reader.read()) rest += new TextDecoder().decode(c.value);
    expect(rest).toBe('data: second\n\n');
  });

  it('cancels the function\'s response stream when the client goes away', async () => {
    const count = async (): Promise<number> => ((await fetch(url('stream-cancelled')).then((r) => r.json())) as { cancelled: number }).cancelled;
    const before = await count();
    const abort = new AbortController();
    const res = await fetch(url('stream-forever'), { signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('data: tick');
    abort.abort();
    const deadline = Date.now() + 15_000;
    while ((await count()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await count()).toBe(before + 1);
  });

  it('streams the request body to the function and refuses a chunked body once it passes the limit', async () => {
    const chunked = (bytes: number): ReadableStream<Uint8Array> => {
      let left = bytes;
      return new ReadableStream({
        pull(c) {
          const n = Math.min(left, 64 * 1024);
          if (n === 0) { c.close(); return; }
          c.enqueue(new Uint8Array(n).fill(120));
          left -= n;
        },
      });
    };
    const small = await fetch(url('echo'), { method: 'POST', body: chunked(100_000), duplex: 'half' } as RequestInit);
    expect(small.status).toBe(200);
    expect(((await small.json()) as Echo).body).toBe('x'.repeat(100_000));
    const big = await fetch(url('echo'), { method: 'POST', body: chunked(h.functionsGateway.limits.maxBodyBytes + 1), duplex: 'half' } as RequestInit);
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'Request body exceeds the functions gateway limit' });
  });
});

describe('functions gateway: failures and limits', () => {
  it('answers 503 BOOT_ERROR for a function that cannot start', async () => {
    const res = await fetch(`${h.apiUrl}/functions/v1/boot-error`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' });
  });

  it('answers 500 WORKER_ERROR when the worker dies under a request, then restarts it', async () => {
    const before = await fetch(`${h.apiUrl}/functions/v1/crash`).then((r) => r.json() as Promise<{ pid: number }>);
    const res = await fetch(`${h.apiUrl}/functions/v1/crash/exit`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' });
    const after = await fetch(`${h.apiUrl}/functions/v1/crash`).then((r) => r.json() as Promise<{ pid: number }>);
    expect(after.pid).not.toBe(before.pid);
    // A handler that throws is answered by Deno.serve itself and the worker lives on.
    const thrown = await fetch(`${h.apiUrl}/functions/v1/crash/throw`);
    expect(thrown.status).toBe(500);
    const still = await fetch(`${h.apiUrl}/functions/v1/crash`).then((r) => r.json() as Promise<{ pid: number }>);
    expect(still.pid).toBe(after.pid);
  });

  it('answers 546 WORKER_LIMIT over the CPU hard limit', async () => {
    const { data, error } = await client().functions.invoke('cpu-hog?ms=4000', { method: 'GET' });
    expect(data).toBeNull();
    expect(error).toBeInstanceOf(FunctionsHttpError);
    const res = (error as FunctionsHttpError).context as Response;
    expect(res.status).toBe(546);
    expect(await res.json()).toEqual({ code: 'WORKER_LIMIT', message: 'Worker failed to respond due to a resource limit (please check logs)' });
  });

  it('retires a worker whose request went over the CPU soft limit (and answers it)', async () => {
    const slow = await fetch(`${h.apiUrl}/functions/v1/cpu-hog?ms=1300`);
    expect(slow.status).toBe(200);
    const { pid } = (await slow.json()) as { pid: number };
    const next = await fetch(`${h.apiUrl}/functions/v1/cpu-hog?ms=10`).then((r) => r.json() as Promise<{ pid: number }>);
    expect(next.pid).not.toBe(pid);
  });

  it('answers 546 WORKER_LIMIT over the memory limit (JS heap and off-heap buffers)', async () => {
    for (const path of ['heap', 'buffers']) {
      const res = await fetch(`${h.apiUrl}/functions/v1/memory-hog/${path}`);
      expect(res.status).toBe(546);
      expect(await res.json()).toMatchObject({ code: 'WORKER_LIMIT' });
      const ok = await fetch(`${h.apiUrl}/functions/v1/memory-hog/small`);
      expect(ok.status).toBe(200);
    }
  });
});

describe('cron → pg_net → function', () => {
  it('a cron job fires a pg_net request to a function on its schedule', async () => {
    const marker = crypto.randomUUID();
    const url = `${h.apiUrl}/functions/v1/hello`;
    const command = `select net.http_post(url := '${url}', body := jsonb_build_object('marker', '${marker}'),
      headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ${stack.serviceRoleKey}'))`;
    const [job] = await sql<{ id: string }[]>`select cron.schedule(${`fn-${marker}`}, '2 seconds', ${command})::text as id`;
    const t0 = Date.now();
    // Generous: pg_net takes its next batch when the whole batch is done, and the shared
    // database's scan schedule sends one request a minute (see cron-net.test.ts).
    const deadline = 60_000;
    try {
      let found: { status_code: number; content: string } | undefined;
      while (!found && Date.now() - t0 < deadline) {
        [found] = await sql<{ status_code: number; content: string }[]>`
          select status_code, content from net._http_response where content like ${`%${marker}%`} limit 1`;
        if (!found) await new Promise((r) => setTimeout(r, 100));
      }
      expect(found?.status_code).toBe(200);
      const echo = JSON.parse(found?.content ?? '{}') as Echo;
      expect(echo.claims).toMatchObject({ role: 'service_role' });
      expect(JSON.parse(echo.body ?? '{}')).toEqual({ marker });
      expect(Date.now() - t0).toBeLessThan(deadline);
    } finally {
      await sql`select cron.unschedule(${job?.id ?? '0'}::bigint)`;
    }
  });
});
