import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';

const sql = adminSql();
/**
 * How long a queued request may wait for its answer. pg_net works its queue a batch at a
 * time and takes the next batch when the whole batch is done (as pg_net's worker does);
 * other pg_net users (the notification worker's wake-ups, the scan schedule's one POST a
 * minute) share the queue, so a request can wait behind them on a busy machine.
 */
const NET_DEADLINE_MS = 60_000;
const received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
let server: http.Server;
let base = '';

/** The single row a query must return (noUncheckedIndexedAccess-friendly). */
async function one<T>(q: Promise<T[]>): Promise<T> {
  const [row] = await q;
  if (row === undefined) throw new Error('expected a row');
  return row;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/slow')) { setTimeout(() => res.end('late'), 2_000); return; }
      res.writeHead(201, { 'content-type': 'application/json', 'x-probe': 'yes' });
      res.end(JSON.stringify({ echoed: body }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await sql.end();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('pg_net (emulated extension + stack worker)', () => {
  it('is installed as an extension with the pg_net SQL surface', async () => {
    const rows = await sql<{ extname: string; nspname: string }[]>`
      select e.extname, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace
       where e.extname in ('pg_cron', 'pg_net', 'supabase_vault') order by 1`;
    expect(rows).toEqual([
      { extname: 'pg_cron', nspname: 'pg_catalog' },
      { extname: 'pg_net', nspname: 'extensions' },
      { extname: 'supabase_vault', nspname: 'vault' },
    ]);
  });

  it('sends a committed http_post and stores the response under the request id', async () => {
    const marker = randomUUID();
    const { id } = await one(sql<{ id: string }[]>`
      select net.http_post(url := ${`${base}/hook?x=1`}, body := ${sql.json({ marker })},
                           params := '{"p":"a b"}', headers := '{"X-Test":"1"}')::text as id`);
    const resp = await waitFor(async () => (await sql<{ status_code: number; content: string; headers: Record<string, string>; content_type: string; timed_out: boolean | null }[]>`
      select status_code, content, headers, content_type, timed_out from net._http_response where id = ${id}`)[0], NET_DEADLINE_MS);
    expect(resp.status_code).toBe(201);
    expect(resp.content_type).toBe('application/json');
    expect(resp.headers['x-probe']).toBe('yes');
    expect(JSON.parse((JSON.parse(resp.content) as { echoed: string }).echoed)).toEqual({ marker });
    const req = received.find((r) => r.body.includes(marker));
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/hook?x=1&p=a%20b');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-test']).toBe('1');
    const queued = await sql`select 1 from net.http_request_queue where id = ${id}`;
    expect(queued.length).toBe(0);
  });

  it('never sends a request queued by a transaction that rolled back', async () => {
    const marker = randomUUID();
    let id = '';
    await sql.begin(async (tx) => {
      ({ id } = await one(tx<{ id: string }[]>`select net.http_get(${`${base}/rolled-back/${marker}`})::text as id`));
      throw new Error('rollback');
    }).catch(() => {});
    // A committed request queued afterwards is answered; the rolled-back one never is.
    const { id: later } = await one(sql<{ id: string }[]>`select net.http_get(${`${base}/after/${marker}`})::text as id`);
    await waitFor(async () => (await sql`select 1 from net._http_response where id = ${later}`)[0], NET_DEADLINE_MS);
    expect(received.some((r) => r.url.includes(`/rolled-back/${marker}`))).toBe(false);
    expect((await sql`select 1 from net._http_response where id = ${id}`).length).toBe(0);
  });

  it('records timeouts and connection errors as pg_net does', async () => {
    const { slow } = await one(sql<{ slow: string }[]>`
      select net.http_get(${`${base}/slow`}, timeout_milliseconds := 200)::text as slow`);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { refused } = await one(sql<{ refused: string }[]>`
      select net.http_get(${`http://127.0.0.1:${closedPort}/nothing-listens`})::text as refused`);
    const t = await waitFor(async () => (await sql<{ timed_out: boolean; error_msg: string; status_code: number | null }[]>`
      select timed_out, error_msg, status_code from net._http_response where id = ${slow}`)[0], NET_DEADLINE_MS);
    expect(t).toMatchObject({ timed_out: true, status_code: null });
    expect(t.error_msg).toMatch(/^Timeout of 200 ms reached/);
    const r = await waitFor(async () => (await sql<{ error_msg: string }[]>`
      select error_msg from net._http_response where id = ${refused}`)[0], NET_DEADLINE_MS);
    expect(r.error_msg).toBe("Couldn't connect to server");
  });

  it('rejects a non-JSON Content-Type like pg_net', async () => {
    await expect(sql`select net.http_post(${base}, '{}'::jsonb, '{}'::jsonb, '{"Content-Type":"text/plain"}'::jsonb)`)
      .rejects.toThrow('Content-Type header must be "application/json"');
  });
});

describe('pg_cron (emulated extension + stack scheduler)', () => {
  it('validates schedules with pg_cron\'s error', async () => {
    await expect(sql`select cron.schedule('bad-job', '* * * *', 'select 1')`).rejects.toMatchObject({
      code: '22023', message: 'invalid schedule: * * * *',
    });
    await expect(sql`select cron.schedule('bad-job', '60 seconds', 'select 1')`).rejects.toMatchObject({ code: '22023' });
    for (const ok of ['*/5 * * * *', '0 3 * * 6', '30 4 $ * *', '@daily', '10 seconds', '0 0 1 jan,jul mon-fri']) {
      const { id } = await one(sql<{ id: string }[]>`select cron.schedule(${'valid-' + randomUUID()}, ${ok}, 'select 1')::text as id`);
      await sql`select cron.unschedule(${id}::bigint)`;
    }
  });

  it('upserts by job name and unschedules by name', async () => {
    const name = `upsert-${randomUUID()}`;
    const [a] = await sql<{ id: string }[]>`select cron.schedule(${name}, '0 0 * * *', 'select 1')::text as id`;
    const [b] = await sql<{ id: string }[]>`select cron.schedule(${name}, '0 1 * * *', 'select 2')::text as id`;
    expect(b?.id).toBe(a?.id);
    const [job] = await sql`select schedule, command, username, active from cron.job where jobname = ${name}`;
    expect(job).toEqual({ schedule: '0 1 * * *', command: 'select 2', username: 'postgres', active: true });
    await sql`select cron.unschedule(${name})`;
    await expect(sql`select cron.unschedule(${name})`).rejects.toThrow(`could not find valid entry for job '${name}'`);
  });

  it('runs a seconds job as its username and records job_run_details', async () => {
    const table = `cron_probe_${randomUUID().replaceAll('-', '')}`;
    await sql.unsafe(`create table public.${table} (who text, at timestamptz default now())`);
    await sql.unsafe(`grant insert on public.${table} to authenticator`);
    const name = `probe-${randomUUID()}`;
    const { id } = await one(sql<{ id: string }[]>`
      select cron.schedule_in_database(${name}, '1 seconds', ${`insert into public.${table} (who) values (current_user)`},
                                       'postgres', 'authenticator')::text as id`);
    try {
      const run = await waitFor(async () => (await sql<{ status: string; return_message: string; username: string; job_pid: number; start_time: Date; end_time: Date }[]>`
        select status, return_message, username, job_pid, start_time, end_time from cron.job_run_details
         where jobid = ${id} and status = 'succeeded' limit 1`)[0], 10_000);
      expect(run).toMatchObject({ status: 'succeeded', return_message: 'INSERT 0 1', username: 'authenticator' });
      expect(run.job_pid).toBeGreaterThan(0);
      expect(run.end_time.getTime()).toBeGreaterThanOrEqual(run.start_time.getTime());
      const rows = await sql.unsafe(`select who from public.${table}`);
      expect(rows[0]?.who).toBe('authenticator');
    } finally {
      await sql`select cron.unschedule(${id}::bigint)`;
      await sql.unsafe(`drop table public.${table}`);
    }
  });

  it('records a failing run with the error as return_message', async () => {
    const { id } = await one(sql<{ id: string }[]>`
      select cron.schedule(${`fail-${randomUUID()}`}, '1 seconds', 'select 1/0')::text as id`);
    try {
      const run = await waitFor(async () => (await sql<{ status: string; return_message: string }[]>`
        select status, return_message from cron.job_run_details where jobid = ${id} and status = 'failed' limit 1`)[0], 10_000);
      expect(run.return_message).toBe('ERROR:  division by zero');
    } finally {
      await sql`select cron.unschedule(${id}::bigint)`;
    }
  });

  it('fires a pg_net request on its schedule (cron → pg_net → HTTP)', async () => {
    const marker = randomUUID();
    const { id } = await one(sql<{ id: string }[]>`
      select cron.schedule(${`net-${marker}`}, '2 seconds',
        ${`select net.http_post(url := '${base}/cron', body := jsonb_build_object('marker', '${marker}'))`})::text as id`);
    const t0 = Date.now();
    try {
      await waitFor(async () => (received.some((r) => r.body.includes(marker)) ? true : undefined), NET_DEADLINE_MS);
      expect(Date.now() - t0).toBeLessThan(NET_DEADLINE_MS);
      // The job's command commits (queuing the request) before its run's end is recorded.
      const run = await waitFor(async () => (await sql`select status, return_message from cron.job_run_details
        where jobid = ${id} and status = 'succeeded' limit 1`)[0], 5_000);
      expect(run).toEqual({ status: 'succeeded', return_message: '1 row' });
    } finally {
      await sql`select cron.unschedule(${id}::bigint)`;
    }
  });

  it('the scan schedule from the migration is registered every minute', async () => {
    const [job] = await sql<{ schedule: string; command: string; username: string; active: boolean }[]>`
      select schedule, command, username, active from cron.job where jobname = 'hotspot-scan'`;
    expect(job).toMatchObject({ schedule: '* * * * *', username: 'postgres', active: true });
    expect(job?.command).toContain('/functions/v1/hotspot-scan');
    expect(job?.command).toContain('hotspot_scan_key');
  });
});

describe('supabase_vault (emulated extension)', () => {
  it('round-trips a secret, encrypted at rest, and updates it', async () => {
    const name = `vault-${randomUUID()}`;
    const { id } = await one(sql<{ id: string }[]>`select vault.create_secret('s3cr3t value', ${name}, 'a test') as id`);
    const [row] = await sql<{ secret: string; decrypted_secret: string; description: string }[]>`
      select secret, decrypted_secret, description from vault.decrypted_secrets where id = ${id}`;
    expect(row?.decrypted_secret).toBe('s3cr3t value');
    expect(row?.description).toBe('a test');
    expect(row?.secret).not.toContain('s3cr3t');
    await sql`select vault.update_secret(${id}::uuid, 'changed')`;
    const [after] = await sql<{ decrypted_secret: string; name: string }[]>`
      select decrypted_secret, name from vault.decrypted_secrets where id = ${id}`;
    expect(after).toEqual({ decrypted_secret: 'changed', name });
    await expect(sql`select vault.create_secret('dup', ${name})`).rejects.toMatchObject({ code: '23505' });
    await sql`delete from vault.secrets where id = ${id}`;
  });

  it('binds a ciphertext to its row', async () => {
    const { a } = await one(sql<{ a: string }[]>`select vault.create_secret('alpha') as a`);
    const { b } = await one(sql<{ b: string }[]>`select vault.create_secret('beta') as b`);
    await sql`update vault.secrets set secret = (select secret from vault.secrets where id = ${a}) where id = ${b}`;
    await expect(sql`select decrypted_secret from vault.decrypted_secrets where id = ${b}`).rejects.toThrow();
    await sql`delete from vault.secrets where id in (${a}, ${b})`;
  });

  it('is not readable by API roles', async () => {
    await expect(sql.begin(async (tx) => {
      await tx`set local role service_role`;
      await tx`select * from vault.decrypted_secrets`;
    })).rejects.toMatchObject({ code: '42501' });
  });

  it('holds the scan schedule secrets written by the start routine', async () => {
    if (!inject('stack').embedded) return;
    const rows = await sql<{ name: string; decrypted_secret: string }[]>`
      select name, decrypted_secret from vault.decrypted_secrets where name in ('project_url', 'hotspot_scan_key') order by name`;
    expect(rows).toEqual([
      { name: 'hotspot_scan_key', decrypted_secret: inject('stack').serviceRoleKey },
      { name: 'project_url', decrypted_secret: inject('stack').apiUrl },
    ]);
  });
});
