/** Alerts as the scan writes them, for the notification tests (SQL, like the scan's writes). */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { createChannelsHandler } from '../../../functions/notification-channels/handler.ts';
import { call, jsonRequest } from '../../support/functions.ts';

/** A firing alert (first notification) on a hotspot last detected tomorrow, so scheduled scans leave it alone. */
export async function fireAlert(sql: Sql, orgId: string, opts: { severity?: string; category?: string } = {}): Promise<{ alertId: string; committedAt: number }> {
  const alertId = await sql.begin((tx) => insertFiringAlert(tx, orgId, opts));
  return { alertId, committedAt: Date.now() };
}

/** fireAlert's two inserts inside the caller's transaction. */
export async function insertFiringAlert(tx: TransactionSql, orgId: string, opts: { severity?: string; category?: string } = {}): Promise<string> {
  const key = `nt:${Math.random().toString(36).slice(2, 10)}`;
  const severity = opts.severity ?? 'high';
  const category = opts.category ?? 'fire';
  const [h] = await tx<{ id: string }[]>`
    insert into public.hotspots (org_id, category, dedup_key, severity, model, cells, center_cell, center_lat, center_lng,
      radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, last_detected_at)
    values (${orgId}, ${category}, ${key}, ${severity}, 'ebp', ${['882a100d2dfffff']}, '882a100d2dfffff', 40.75, -73.99,
      600, now() - interval '3 hours', now(), 30, 10, 3, 12.5, 0.001, 150, now() + interval '1 day')
    returning id`;
  const [a] = await tx<{ id: string }[]>`
    insert into public.alerts (org_id, hotspot_id, dedup_key, category, severity, state, title, description,
                               notify_count, last_notified_at, notified_observed, notified_cells, notified_severity)
    values (${orgId}, ${h!.id}, ${key}, ${category}, ${severity}, 'firing', ${`High ${category} hotspot`}, 'test alert',
            1, now(), 30, 1, ${severity})
    returning id`;
  return a!.id;
}

/** The scan's re-notifications and the operators' decisions, as row updates. */
export const transitions = {
  escalate: (sql: Sql, id: string) => sql`update public.alerts set severity = 'critical', notified_severity = 'critical',
    notify_count = notify_count + 1, last_notified_at = now(), notified_observed = 60 where id = ${id}`,
  grow: (sql: Sql, id: string) => sql`update public.alerts set notify_count = notify_count + 1, last_notified_at = now(),
    notified_observed = notified_observed + 20, notified_cells = notified_cells + 1 where id = ${id}`,
  acknowledge: (sql: Sql, id: string) => sql`update public.alerts set state = 'acknowledged', acknowledged_at = now() where id = ${id}`,
  resolve: (sql: Sql, id: string) => sql`update public.alerts set state = 'resolved', resolved_at = now() where id = ${id}`,
};

/** Verify `Hotwatch-Signature` as a receiver would (node:crypto, constant-time compare). */
export function verifySignature(header: string | undefined, raw: string, secret: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}

/** The channels handler in-process (resolves names with the OS resolver). */
export function channelsHandler(sql: Sql, allowPrivateTargets: boolean) {
  const handler = createChannelsHandler({
    sql, allowPrivateTargets,
    resolveHost: async (host) => (await import('node:dns/promises')).lookup(host, { all: true }).then((r) => r.map((a) => a.address), () => []),
    alertUrl: (id) => `http://127.0.0.1/dashboard/#alert-${id}`,
    report: (e) => console.error('CHANNELS', e),
  });
  return (body: unknown, token: string) => call(handler, jsonRequest('http://local/functions/v1/notification-channels', body, token));
}
