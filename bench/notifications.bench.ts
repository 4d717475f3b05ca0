/**
 * Notifications (issue 24): through the outbox trigger → pg_net wake-up →
 * notification-worker on real Deno → a local receiver, beside a floor measured in the
 * same run: pg_net alone posting the same bodies to the same receiver.
 *   - latency: alerts fired one at a time (each its own transaction); alert commit →
 *     the receiver's request, p50/p95 (gate p95 ≤ 2 s). Floor: one net.http_post per
 *     transaction, commit → arrival.
 *   - throughput: a burst of alerts committed in one transaction, commit → last arrival,
 *     notifications/s. Floor: the same number of net.http_post in one transaction.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sql } from 'postgres';
import { createChannelsHandler } from '../functions/notification-channels/handler.ts';
import { DEFAULT_SERVICE_ROLE_KEY } from '../stack/src/keys.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchResult } from './types.ts';

const SINGLES = Number(process.env.NOTIFY_BENCH_SINGLES ?? 60);
const BURST = Number(process.env.NOTIFY_BENCH_BURST ?? 300);

/** Records the first arrival time per key (Idempotency-Key, or x-floor-key for the floor). */
async function receiver(): Promise<{ url: string; first: Map<string, number>; close(): Promise<void> }> {
  const first = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const at = performance.timeOrigin + performance.now();
    const key = String(req.headers['idempotency-key'] ?? req.headers['x-floor-key'] ?? '');
    if (key && !first.has(key)) first.set(key, at);
    req.resume();
    req.on('end', () => { res.writeHead(200); res.end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, first, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const now = (): number => performance.timeOrigin + performance.now();
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** n firing alerts in one transaction (a hotspot each); their ids. */
async function fireAlerts(sql: Sql, orgId: string, n: number, tag: string): Promise<string[]> {
  return sql.begin(async (tx) => {
    const hs = await tx<Array<{ id: string; dedup_key: string }>>`
      insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, last_detected_at)
      select ${orgId}, 'fire', ${tag} || '-' || g, 'high', 'ebp', array['882a100d2dfffff'], '882a100d2dfffff', 40.75, -73.99,
             600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 150, now() + interval '1 day'
        from generate_series(1, ${n}) g
      returning id, dedup_key`;
    const as = await tx<Array<{ id: string }>>`
      insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, state, title, description,
                                 notify_count, last_notified_at, notified_observed, notified_cells, notified_severity)
      select ${orgId}, h.id, h.dedup_key, 'fire', 'high', 'firing', 'High fire hotspot: 30 events in 1 cell', 'bench', 1, now(), 30, 1, 'high'
        from unnest(${hs.map((h) => h.id)}::bigint[], ${hs.map((h) => h.dedup_key)}::text[]) as h(id, dedup_key)
      returning id`;
    return as.map((a) => a.id);
  });
}

export async function run(): Promise<BenchResult> {
  const db = await benchDb('notifications');
  const rx = await receiver();
  try {
    const { sql } = db;
    if (!db.stack) throw new Error('the notifications benchmark needs its own stack (the worker runs on its functions gateway)');
    const [org] = await sql<Array<{ id: string }>>`insert into public.orgs (slug, name) values (${`notify-bench-${Date.now()}`}, 'Notify bench') returning id`;
    const orgId = org!.id;
    const channels = createChannelsHandler({ sql, allowPrivateTargets: true, resolveHost: async () => [], alertUrl: (id) => `http://127.0.0.1/#alert-${id}` });
    const created = await channels(new Request('http://x/notification-channels', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEFAULT_SERVICE_ROLE_KEY}` },
      body: JSON.stringify({ action: 'create', org_id: orgId, kind: 'webhook', name: 'bench', url: rx.url }),
    }));
    if (created.status !== 201) throw new Error(`channel create answered ${created.status}: ${await created.text()}`);
    const keyOf = (alertId: string): string => `alert-${alertId}-v1-fired`;

    // Warm-up: boot the worker (Deno) and pg_net.
    const [w] = await fireAlerts(sql, orgId, 1, 'warm');
    await waitUntil(() => rx.first.has(keyOf(w!)), 60_000, 'the warm-up notification');
    const [warmRow] = await sql<Array<{ body: string }>>`select alert::text as body from public.notification_outbox where alert_id = ${w!} limit 1`;
    const body = warmRow!.body;

    // Latency through the worker.
    const lat: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const [id] = await fireAlerts(sql, orgId, 1, `s${i}`);
      const committed = now();
      await waitUntil(() => rx.first.has(keyOf(id!)), 30_000, `alert ${id}`);
      lat.push(rx.first.get(keyOf(id!))! - committed);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Floor: pg_net alone, the same body.
    const floorLat: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const key = `floor-s${i}`;
      await sql`select net.http_post(url := ${rx.url}, body := ${body}::jsonb, headers := ${sql.json({ 'Content-Type': 'application/json', 'x-floor-key': key })})`;
      const committed = now();
      await waitUntil(() => rx.first.has(key), 30_000, key);
      floorLat.push(rx.first.get(key)! - committed);
      await new Promise((r) => setTimeout(r, 50));
    }

    // Throughput: a burst in one transaction.
    const burst = await fireAlerts(sql, orgId, BURST, 'burst');
    let t = now();
    await waitUntil(() => burst.every((id) => rx.first.has(keyOf(id))), 180_000, 'the burst');
    const burstMs = Math.max(...burst.map((id) => rx.first.get(keyOf(id))!)) - t;
    const floorKeys = Array.from({ length: BURST }, (_, i) => `floor-b${i}`);
    await sql.begin(async (tx) => {
      for (const key of floorKeys) {
        await tx`select net.http_post(url := ${rx.url}, body := ${body}::jsonb, headers := ${tx.json({ 'Content-Type': 'application/json', 'x-floor-key': key })})`;
      }
    });
    t = now();
    await waitUntil(() => floorKeys.every((k) => rx.first.has(k)), 180_000, 'the floor burst');
    const floorBurstMs = Math.max(...floorKeys.map((k) => rx.first.get(k)!)) - t;

    const [dups] = await sql<Array<{ n: number }>>`select count(*)::int as n from public.notification_attempts a join public.notification_outbox o on o.id = a.outbox_id where o.org_id = ${orgId} and a.attempt > 1`;
    const p95 = quantile(lat, 0.95);
    return {
      name: 'notifications',
      figures: [
        { metric: 'alert commit → receiver request, p50 (through the worker)', value: quantile(lat, 0.5), unit: 'ms', floor: quantile(floorLat, 0.5) },
        { metric: 'alert commit → receiver request, p95 (through the worker)', value: p95, unit: 'ms', floor: quantile(floorLat, 0.95), gate: '≤ 2000 ms', pass: p95 <= 2000 },
        { metric: 'pg_net alone, commit → receiver request, p50', value: quantile(floorLat, 0.5), unit: 'ms' },
        { metric: 'pg_net alone, commit → receiver request, p95', value: quantile(floorLat, 0.95), unit: 'ms' },
        { metric: `burst of ${BURST} alerts in one transaction, through the worker`, value: BURST / (burstMs / 1000), unit: 'notifications/s', floor: BURST / (floorBurstMs / 1000) },
        { metric: `pg_net alone, ${BURST} posts in one transaction`, value: BURST / (floorBurstMs / 1000), unit: 'requests/s' },
      ],
      notes: [
        `${SINGLES} single alerts fired one after another (each its own transaction), then ${SINGLES} single net.http_post with the same body; then a burst of ${BURST} each way.`,
        `Attempts beyond the first (retries, re-sends): ${dups!.n}.`,
      ],
    };
  } finally {
    await rx.close();
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(1)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(1)})` : ''}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('notifications', result);
}
