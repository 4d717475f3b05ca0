/**
 * Concurrency, through the real paths (gateway → Deno functions; pg_cron-style
 * net.http_post with the vault credential; supabase-js as clients): overlapping cron and
 * HTTP scans, racing decisions, concurrent ingest of overlapping batches. Each test
 * checks the database afterwards: no duplicate active hotspots or alerts per dedup key,
 * exactly one decision wins, the cube equals a recount, and concurrent scans end where
 * one scan of the same data ends.
 */
import { gridDisk } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { closeClients, sb, serviceJwt, stackInfo, userJwt, waitFor } from '../../support/hardening.ts';
import { retryWhileSkipped } from '../../support/scan-retry.ts';
import { area, backdateOrg, background, burst, eventAt, insertWorld, invariantViolations, streamState, type WireEvent } from './world.ts';

const info = stackInfo();
const sql = adminSql(8);
afterAll(async () => {
  await closeClients();
  await sql.end();
});

interface Invoked { status: number; body: Record<string, unknown> }

async function post(fn: string, token: string, body: unknown): Promise<Invoked> {
  const res = await fetch(`${info.apiUrl}/functions/v1/${fn}`, {
    method: 'POST', headers: { apikey: info.anonKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}

/** Queue scans exactly as the pg_cron job does (pg_net POST, URL and key from the vault), for one org. */
async function cronStyleScans(orgId: string, n: number): Promise<bigint[]> {
  const rows = await sql<{ id: string }[]>`
    select net.http_post(
             url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url') || '/functions/v1/hotspot-scan',
             body := jsonb_build_object('org_id', ${orgId}::uuid, 'trigger', 'cron'),
             headers := jsonb_build_object('Content-Type', 'application/json',
               'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'hotspot_scan_key')),
             timeout_milliseconds := 120000)::text as id
      from generate_series(1, ${n})`;
  return rows.map((r) => BigInt(r.id));
}

async function netResponses(ids: bigint[]): Promise<Array<{ status_code: number | null; content: string | null; error_msg: string | null }>> {
  return sql`select status_code, content, error_msg from net._http_response where id = any(${ids.map(String)}::bigint[])`;
}

/** An org with a week of background and a burst that scans into hotspot → alert → recommendations. */
async function detectableOrg(label: string, cells: string[], now: number): Promise<{ id: string; operator: string; admin: string; viewer: string; operatorId: string }> {
  const org = await createTestOrg(sql, label);
  await backdateOrg(sql, org.id);
  await insertWorld(sql, org.id, [...background(cells, now), ...burst(gridDisk(cells[0]!, 1), 40, now)]);
  return {
    id: org.id, operatorId: org.operator.id,
    operator: userJwt(org.operator.id, { [org.id]: 'operator' }), admin: userJwt(org.operator.id, { [org.id]: 'admin' }), viewer: userJwt(org.viewer.id, { [org.id]: 'viewer' }),
  };
}

describe('concurrency', () => {
  let twin: Awaited<ReturnType<typeof detectableOrg>>;
  let control: Awaited<ReturnType<typeof detectableOrg>>;

  beforeAll(async () => {
    const now = Date.now();
    const cells = area(40.75, -73.99, 4);
    twin = await detectableOrg('conc-scan', cells, now);
    control = await detectableOrg('conc-control', cells, now);
    // Warm the scan worker so the overlap below is not serialized behind Deno's boot.
    await post('hotspot-scan', serviceJwt(), { org_id: '00000000-0000-4000-8000-000000000000' });
  }, 180_000);

  it('overlapping cron-style (pg_net + vault) and HTTP scans of one org end exactly where sequential scans end, with nothing duplicated', async () => {
    // The control org: two scans, one after the other (a second look turns a new hotspot ongoing).
    // As for the twin's last scan below: a scheduled scan writing at that moment makes ours skip; ask again.
    for (let i = 0; i < 2; i++) {
      const one = await retryWhileSkipped(() => post('hotspot-scan', control.operator, { org_id: control.id }), (r) => r.body.status === 'skipped');
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body.status).toBe('succeeded');
    }

    // The twin (same events): 6 cron-style requests sent by pg_net and 6 HTTP scans by operators and admins, all at once.
    const queued = cronStyleScans(twin.id, 6);
    const http = Promise.all(Array.from({ length: 6 }, (_, i) => post('hotspot-scan', i % 2 ? twin.admin : twin.operator, { org_id: twin.id })));
    const ids = await queued;
    const answers = await http;
    await waitFor(async () => (await netResponses(ids)).length === ids.length, 120_000, 'pg_net to record every cron-style scan');
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    for (const r of await netResponses(ids)) expect(r.status_code, `${r.error_msg} ${r.content}`).toBe(200);

    const statuses = [...answers.map((a) => a.body.status), ...(await netResponses(ids)).map((r) => (JSON.parse(r.content!) as { status: string }).status)];
    expect(statuses.filter((s) => s === 'succeeded').length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 'succeeded' || s === 'skipped')).toBe(true);
    const runs = await sql<{ trigger: string; n: number }[]>`select trigger, count(*)::int as n from public.scan_runs where org_id = ${twin.id} group by 1 order by 1`;
    expect(runs.find((r) => r.trigger === 'http')?.n).toBe(6);
    expect(runs.find((r) => r.trigger === 'cron')?.n).toBeGreaterThanOrEqual(6);

    expect(await invariantViolations(sql, twin.id)).toEqual([]);
    // The scans that won the write lock wrote one after another; the rest skipped. One more scan after the burst
    // (so the twin has had at least two looks too) must leave it exactly where two sequential scans left the control.
    // (The shared stack's schedule scans each org with news every minute: a scheduled scan writing at that moment makes ours skip.)
    const last = await retryWhileSkipped(() => post('hotspot-scan', twin.operator, { org_id: twin.id }), (r) => r.body.status === 'skipped');
    expect(last.body.status, JSON.stringify(last.body)).toBe('succeeded');
    expect(await invariantViolations(sql, twin.id)).toEqual([]);
    const [twinState, controlState] = [await streamState(sql, twin.id), await streamState(sql, control.id)];
    expect(twinState.hotspots.length).toBeGreaterThan(0);
    expect(twinState.alerts.length).toBeGreaterThan(0);
    expect(twinState.recommendations.length).toBeGreaterThan(0);
    expect(twinState).toEqual(controlState);
  });

  it('racing decisions: of 40 concurrent approve/reject calls on one recommendation exactly one wins, the rest 409, one audit row', async () => {
    const [rec] = await sql<{ id: string; alert_id: string }[]>`
      select id, alert_id from public.recommendations where org_id = ${twin.id} and status = 'pending' order by id limit 1`;
    expect(rec).toBeDefined();
    const calls = Array.from({ length: 40 }, (_, i) => post('decisions', i % 2 ? twin.admin : twin.operator,
      i % 3 === 0 ? { action: 'reject', recommendation_id: Number(rec!.id), reason: `race ${i}` } : { action: 'approve', recommendation_id: Number(rec!.id), reason: `race ${i}` }));
    const results = await Promise.all(calls);
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(39);
    const [final] = await sql<{ status: string; decided_by: string }[]>`select status::text, decided_by::text from public.recommendations where id = ${rec!.id}`;
    expect(final!.status).toBe((won[0]!.body.recommendation as { status: string }).status);
    const audit = await sql<{ action: string }[]>`select action from public.decisions where recommendation_id = ${rec!.id}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.action).toBe(final!.status === 'approved' ? 'approve' : 'reject');
    if (final!.status === 'approved') {
      const acks = await sql`select 1 from public.decisions where alert_id = ${rec!.alert_id} and action = 'acknowledge'`;
      expect(acks).toHaveLength(1);
    }
    expect(await invariantViolations(sql, twin.id)).toEqual([]);
  });

  it('racing decisions across rows: resolving an alert while its recommendations are approved and a scan runs leaves no pending recommendation on a resolved alert', async () => {
    const [alert] = await sql<{ id: string }[]>`
      select a.id from public.alerts a where a.org_id = ${control.id} and a.state <> 'resolved'
         and exists (select 1 from public.recommendations r where r.alert_id = a.id and r.status = 'pending') order by a.id limit 1`;
    expect(alert).toBeDefined();
    const recs = await sql<{ id: string }[]>`select id from public.recommendations where alert_id = ${alert!.id} and status = 'pending'`;
    const results = await Promise.all([
      post('decisions', control.admin, { action: 'resolve', alert_id: Number(alert!.id), reason: 'race' }),
      post('decisions', control.operator, { action: 'acknowledge', alert_id: Number(alert!.id) }),
      ...recs.map((r) => post('decisions', control.operator, { action: 'approve', recommendation_id: Number(r.id) })),
      post('hotspot-scan', control.operator, { org_id: control.id }),
    ]);
    for (const r of results) expect([200, 409], JSON.stringify(r.body)).toContain(r.status);
    expect(await invariantViolations(sql, control.id)).toEqual([]);
    // Every state change is audited exactly once.
    const approved = await sql`select id from public.recommendations where alert_id = ${alert!.id} and status = 'approved'`;
    const approveAudits = await sql`select 1 from public.decisions where alert_id = ${alert!.id} and action = 'approve'`;
    expect(approveAudits.length).toBe(approved.length);
    const resolves = await sql`select 1 from public.decisions where alert_id = ${alert!.id} and action = 'resolve'`;
    expect(resolves.length).toBe(results[0]!.status === 200 ? 1 : 0);
  });

  it('concurrent ingest of overlapping batches (operators and the service role via supabase-js): each event stored once, counts add up, cube = recount', async () => {
    const org = await createTestOrg(sql, 'conc-ingest');
    const cells = area(51.5, -0.12, 3);
    const now = Date.now();
    // 12 batches of 400 events; batch i covers ids [i*200, i*200 + 400): every id but the first and last 200 is sent twice.
    const all: WireEvent[] = Array.from({ length: 12 * 200 + 200 }, (_, j) => eventAt(`ov-${j}`, j % 3 ? 'fire' : 'flood', now - (j % 48) * 3_600_000 - 1000, cells[j % cells.length]!, 'conc'));
    const batches = Array.from({ length: 12 }, (_, i) => all.slice(i * 200, i * 200 + 400));
    const operator = sb(userJwt(org.operator.id, { [org.id]: 'operator' }));
    const service = sb(undefined, { key: info.serviceRoleKey });
    const answers = await Promise.all(batches.map(async (events, i) => {
      const { data, error } = await (i % 2 ? operator : service).functions.invoke('ingest-events', { body: { org_id: org.id, events } });
      expect(error, String(error)).toBeNull();
      return data as { accepted: number; duplicate: number; rejected: number };
    }));
    const sent = batches.reduce((n, b) => n + b.length, 0);
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(all.length);
    expect(answers.reduce((n, a) => n + a.duplicate, 0)).toBe(sent - all.length);
    expect(answers.every((a) => a.rejected === 0)).toBe(true);
    const [stored] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct (source, external_id))::int as distinct from public.events where org_id = ${org.id}`;
    expect(stored).toEqual({ n: all.length, distinct: all.length });
    expect(await invariantViolations(sql, org.id)).toEqual([]);
    // And a resend of everything at once, concurrently, accepts nothing.
    const again = await Promise.all(batches.map((events) => post('ingest-events', serviceJwt(), { org_id: org.id, events })));
    expect(again.reduce((n, a) => n + (a.body.accepted as number), 0)).toBe(0);
    expect(await invariantViolations(sql, org.id)).toEqual([]);
  });
});
