/**
 * The three functions through real Deno on the embedded stack's functions gateway,
 * called the way clients call them (supabase-js `functions.invoke`), with the full
 * flow watched by a supabase-js Realtime subscriber signed in as an operator.
 */
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { cellToLatLng, gridDisk, latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import { invokeFunction } from '../../support/functions.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { retryWhileSkipped } from '../../support/scan-retry.ts';
import { areaCells, HOUR, seedBackground } from './seed-events.ts';

const info = inject('stack');
const sql = adminSql(8);
const clients: SupabaseClient[] = [];
let org: TestOrg;
let service: SupabaseClient;
let operator: SupabaseClient;
let viewer: SupabaseClient;

function client(key: string): SupabaseClient {
  const c = createClient(info.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  clients.push(c);
  return c;
}

async function signedIn(email: string): Promise<SupabaseClient> {
  const c = client(info.anonKey);
  const { error } = await c.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw error;
  return c;
}

/** invoke → { status, body } for success and HTTP errors alike. */
const invoke = invokeFunction;

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  org = await createTestOrg(sql, 'e2e');
  await sql`update public.orgs set created_at = now() - interval '30 days' where id = ${org.id}`;
  service = client(info.serviceRoleKey);
  operator = await signedIn(org.operator.email);
  viewer = await signedIn(org.viewer.email);
});
afterAll(async () => {
  for (const c of clients) {
    await c.removeAllChannels().catch(() => {});
    c.realtime.disconnect();
  }
  await sql.end();
});

const recent = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString();

describe('edge functions through real Deno (supabase-js functions.invoke)', () => {
  it('ingest-events: service role and operator accepted, idempotent, viewer 403, errors per item', async () => {
    const ev = (id: string) => ({ source: 'e2e', external_id: id, category: 'traffic', occurred_at: recent(30), lat: 51.5, lng: -0.12 });
    const first = await invoke(service, 'ingest-events', { org_id: org.id, events: [ev('t-1'), ev('t-2')] });
    expect(first).toMatchObject({ status: 200, body: { accepted: 2, duplicate: 0 } });
    expect((await invoke(operator, 'ingest-events', { events: [ev('t-2'), ev('t-3')] })).body).toMatchObject({ org_id: org.id, accepted: 1, duplicate: 1 });
    expect((await invoke(viewer, 'ingest-events', { org_id: org.id, events: [ev('t-4')] })).status).toBe(403);
    const bad = await invoke(service, 'ingest-events', { org_id: org.id, events: [{ ...ev('t-5'), lat: 123 }] });
    expect(bad).toMatchObject({ status: 200, body: { accepted: 0, rejected: 1, errors: [{ path: 'events[0].lat' }] } });
    const anon = await invoke(client(info.anonKey), 'ingest-events', { org_id: org.id, events: [ev('t-6')] });
    expect(anon.status).toBe(401);
  });

  it('the full flow reaches an operator\'s Realtime subscription: hotspot, alert, recommendations, then the approval as an UPDATE', async () => {
    const NOW = Date.now();
    await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });

    const seen: Array<{ table: string; eventType: string; new: Record<string, any> }> = [];
    const channel = operator.channel(`e2e-${org.id}`);
    for (const table of ['hotspots', 'alerts', 'recommendations']) {
      channel.on('postgres_changes' as never, { event: '*', schema: 'public', table, filter: `org_id=eq.${org.id}` } as never,
        (p: { table: string; eventType: string; new: Record<string, unknown> }) => { seen.push(p); });
    }
    await new Promise<void>((resolve, reject) => channel.subscribe((s, err) => {
      if (s === 'SUBSCRIBED') resolve();
      else if (s !== 'CLOSED') reject(err ?? new Error(s));
    }));

    // 40 fire events in the last 40 minutes on 7 adjacent cells: a burst over a quiet background.
    const burst = gridDisk(areaCells()[0]!, 1);
    const body = {
      org_id: org.id,
      events: Array.from({ length: 40 }, (_, i) => {
        const [lat, lng] = cellToLatLng(burst[i % burst.length]!);
        return { source: 'e2e', external_id: `burst-${i}`, category: 'fire', occurred_at: recent(1 + i), lat, lng };
      }),
    };
    expect((await invoke(service, 'ingest-events', body)).body).toMatchObject({ accepted: 40 });

    // The stack's cron schedule scans this org too: if one of its scans holds the write
    // lock, or already wrote this data, ours is `skipped` and the rows come from it.
    const scan = await retryWhileSkipped(() => invoke(operator, 'hotspot-scan', { org_id: org.id }), (r) => /another scan/.test(r.body?.skipped_reason ?? ''));
    expect(scan).toMatchObject({ status: 200, body: { trigger: 'http' } });
    expect(['succeeded', 'skipped']).toContain(scan.body.status);

    const recInsert = await waitFor(async () => seen.find((e) => e.table === 'recommendations' && e.eventType === 'INSERT'), 60_000, 'a recommendation INSERT');
    expect(seen.some((e) => e.table === 'hotspots' && e.new.category === 'fire')).toBe(true);
    const alertEvt = seen.find((e) => e.table === 'alerts' && e.new.state === 'firing');
    expect(alertEvt).toBeTruthy();
    expect(recInsert.new.status).toBe('pending');

    const approve = await invoke(operator, 'decisions', { action: 'approve', recommendation_id: recInsert.new.id, reason: 'dispatching' });
    expect(approve).toMatchObject({ status: 200, body: { recommendation: { status: 'approved' } } });
    const upd = await waitFor(async () => seen.find((e) => e.table === 'recommendations' && e.eventType === 'UPDATE' && e.new.id === recInsert.new.id), 20_000, 'the approval UPDATE');
    expect(upd.new).toMatchObject({ status: 'approved', decided_by: org.operator.id, decision_reason: 'dispatching' });
    await waitFor(async () => seen.find((e) => e.table === 'alerts' && e.eventType === 'UPDATE' && e.new.state === 'acknowledged'), 20_000, 'the alert acknowledgement');

    // The viewer watches but cannot decide; a second decision is a conflict.
    const other = seen.find((e) => e.table === 'recommendations' && e.eventType === 'INSERT' && e.new.id !== recInsert.new.id);
    if (other) expect((await invoke(viewer, 'decisions', { action: 'reject', recommendation_id: other.new.id, reason: 'no' })).status).toBe(403);
    expect((await invoke(operator, 'decisions', { action: 'reject', recommendation_id: recInsert.new.id, reason: 'late' })).status).toBe(409);
  });

  it('20 concurrent scans through Deno: no duplicates, each run recorded', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => invoke(service, 'hotspot-scan', { org_id: org.id })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const [dup] = await sql`select
       (select count(*) - count(distinct dedup_key) from public.hotspots where org_id = ${org.id} and status <> 'resolved')::int as hot,
       (select count(*) - count(distinct dedup_key) from public.alerts where org_id = ${org.id} and state <> 'resolved')::int as al,
       (select count(*) - count(distinct (alert_id, alert_revision, playbook_id)) from public.recommendations where org_id = ${org.id})::int as rec`;
    expect(dup).toEqual({ hot: 0, al: 0, rec: 0 });
  });

  it('50 concurrent decisions through Deno: one wins, 49 × 409, one audit row', async () => {
    const [rec] = await sql`select id from public.recommendations where org_id = ${org.id} and status = 'pending' order by id limit 1`;
    expect(rec).toBeTruthy();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      invoke(operator, 'decisions', i % 2 ? { action: 'approve', recommendation_id: rec!.id } : { action: 'reject', recommendation_id: rec!.id, reason: 'dup' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(49);
    const [n] = await sql`select count(*)::int as n from public.decisions where recommendation_id = ${rec!.id}`;
    expect(n!.n).toBe(1);
  });

  it('the pg_cron schedule scans an org with new events through the function within a minute', { timeout: 150_000 }, async () => {
    const fresh = await createTestOrg(sql, 'cron');
    await sql`insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
              values (${fresh.id}, 'e2e', 'cron-1', 'fire', now() - interval '5 minutes', 40.75, -73.99, ${latLngToCell(40.75, -73.99, 9)})`;
    const run = await waitFor(async () => {
      const [r] = await sql`select id, status, trigger, cpu_ms from public.scan_runs where org_id = ${fresh.id} and trigger = 'cron' order by id limit 1`;
      return r && r.status !== 'running' ? r : undefined;
    }, 130_000, 'a cron-triggered scan run');
    expect(run).toMatchObject({ trigger: 'cron' });
    expect(['succeeded', 'skipped']).toContain(run.status);
  });
});
