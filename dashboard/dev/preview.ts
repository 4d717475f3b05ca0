/**
 * Development preview: the signed-in dashboard over an in-memory fake API with sample
 * rows (no stack needed). `npx vite dashboard` then open /dashboard/dev/preview.html.
 * Not part of the build.
 */
import type { Session } from '@supabase/supabase-js';
import { cellToLatLng, gridDisk } from 'h3-js';
import type { DashboardApi, RowEvent, StreamName, StreamRows } from '../src/api.ts';
import { startApp } from '../src/app.ts';
import { defaultClusters } from '../src/demo-data.ts';
import '../src/styles.css';
import type { Alert, ConnectionStatus, Hotspot, Recommendation } from '../src/types.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const now = Date.now();
const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();
const sevs = ['high', 'critical', 'medium'] as const;

const hotspots: Hotspot[] = defaultClusters().map((c, i) => {
  const cells = [...gridDisk(c.cell, c.rings)];
  const [lat, lng] = cellToLatLng(c.cell);
  const expected = 8 + i * 3;
  return {
    id: i + 1, org_id: ORG, category: c.category, dedup_key: `k${i}`, status: i === 0 ? 'ongoing' : 'new', severity: sevs[i]!,
    model: 'ebp', cells, center_cell: c.cell, center_lat: lat, center_lng: lng, radius_m: 460 * (c.rings + 1),
    window_start: iso(c.hours * 3_600_000), window_end: iso(0), observed: Math.round(expected * c.relativeRisk), expected,
    relative_risk: c.relativeRisk, score: 20, p_value: 0.001, recurrence_interval_days: [120, 2737, 41][i]!, quiet_scans: 0,
    first_detected_at: iso((i + 1) * 1_500_000), last_detected_at: iso(60_000), resolved_at: null, scan_id: 41 + i,
    version: 1, tx_id: '1', created_at: iso(1_500_000), updated_at: iso(60_000),
  };
});
const alerts: Alert[] = hotspots.map((hs, i) => ({
  id: 100 + i, org_id: ORG, hotspot_id: hs.id, dedup_key: hs.dedup_key, category: hs.category, severity: hs.severity,
  state: (['firing', 'pending', 'acknowledged'] as const)[i]!, title: `${hs.severity[0]!.toUpperCase()}${hs.severity.slice(1)} ${hs.category} cluster in ${['Old Town', 'Harbourside', 'Westfield'][i]}`,
  description: `${hs.observed} ${hs.category} events in ${hs.cells.length} cells over the last hours, ${hs.relative_risk}× the expected ${hs.expected}.`,
  consecutive_detections: i + 1, notify_count: 1, last_notified_at: iso(60_000), acknowledged_by: null,
  acknowledged_at: i === 2 ? iso(30_000) : null, resolved_by: null, resolved_at: null, version: 1, tx_id: '1',
  created_at: iso(1_500_000), updated_at: iso(60_000 * (i + 1)),
}));
const recs: Recommendation[] = alerts.flatMap((a, i) => [1, 2].map((rank) => ({
  id: 1000 + i * 10 + rank, org_id: ORG, alert_id: a.id, hotspot_id: a.hotspot_id, playbook_id: `pb-${a.category}-${rank}`,
  alert_revision: 1, rank, score: 0.9 / rank, action: rank === 1 ? `Dispatch a ${a.category} response unit to the cluster centre` : 'Notify the district duty officer',
  rationale: `Matches the ${a.severity} ${a.category} playbook for clustered incidents in a dense area.`,
  citations: [{ playbook_id: `pb-${a.category}-${rank}`, title: `${a.category} playbook ${rank}`, section: 'Step 2', quote: 'Send the nearest unit; confirm on scene within 15 minutes.' }],
  status: i === 2 && rank === 2 ? 'approved' : 'pending', decided_by: null, decided_at: i === 2 && rank === 2 ? iso(20_000) : null,
  decision_reason: i === 2 && rank === 2 ? 'Duty officer already on site' : null, version: 1, tx_id: '1', created_at: iso(1_400_000), updated_at: iso(20_000),
})));

const data: { [K in StreamName]: Array<StreamRows[K]> } = { hotspots, alerts, recommendations: recs };
const handlers: { [K in StreamName]?: (ev: RowEvent<StreamRows[K]>) => void } = {};
const status: ConnectionStatus = (new URLSearchParams(location.search).get('status') as ConnectionStatus | null) ?? 'live';
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bump = <K extends StreamName>(k: K, id: number, patch: Partial<StreamRows[K]>): void => {
  const list = data[k] as Array<StreamRows[K]>;
  const i = list.findIndex((r) => r.id === id);
  const row = { ...list[i]!, ...patch, version: list[i]!.version + 1, updated_at: new Date().toISOString() } as StreamRows[K];
  list[i] = row;
  (handlers[k] as ((ev: RowEvent<StreamRows[K]>) => void) | undefined)?.({ type: 'upsert', row });
};

const api: DashboardApi = {
  subscribe(stream, _org, handler) {
    (handlers as Record<string, unknown>)[stream] = handler;
    for (const row of data[stream]) handler({ type: 'upsert', row } as never);
    return () => { delete handlers[stream]; };
  },
  status: () => status,
  onStatus: () => () => {},
  async approve(id, reason) { await wait(300); bump('recommendations', id, { status: 'approved', decided_at: new Date().toISOString(), decision_reason: reason ?? null }); },
  async reject(id, reason) { await wait(300); bump('recommendations', id, { status: 'rejected', decided_at: new Date().toISOString(), decision_reason: reason }); },
  async acknowledgeAlert(id) { await wait(300); bump('alerts', id, { state: 'acknowledged', acknowledged_at: new Date().toISOString() }); },
  async resolveAlert(id) { await wait(300); bump('alerts', id, { state: 'resolved', resolved_at: new Date().toISOString() }); },
  async triggerScan() { await wait(500); return { scanId: 44, status: 'succeeded', hotspots: 3, alerts: 3, recommendations: 6, raw: {} }; },
  async ingest(_org, events) { await wait(100); return { accepted: events.length, duplicate: 0, rejected: 0 }; },
  async scanRun(id) { return { id, trigger: 'http', status: 'succeeded', started_at: iso(90_000), finished_at: iso(89_000), cpu_ms: 412 }; },
  async playbooks(ids) { return ids.map((id) => ({ id, slug: id, title: `Playbook ${id}`, summary: 'Sample playbook.' })); },
  async hotspotSeries(id, hours) {
    // A daily rhythm around 1.5 events an hour, the hotspot's window at the end far above it.
    await wait(200);
    const hs = hotspots.find((x) => x.id === id)!;
    const to = Math.ceil(now / 3_600_000) * 3_600_000;
    const points = Array.from({ length: hours }, (_, i) => {
      const t = to - (hours - i) * 3_600_000;
      const expected = 1.5 + Math.sin((t / 3_600_000 / 24) * 2 * Math.PI);
      const hot = t >= Date.parse(hs.window_start);
      return { t: new Date(t).toISOString(), observed: hot ? Math.round(expected * hs.relative_risk) : Math.round(expected + ((i * 7) % 3) - 1),
        expected, low: 0, high: Math.ceil(expected + 2 * Math.sqrt(expected) + 1), model: 'ebp' as const };
    });
    return { hotspot_id: String(id), category: hs.category, cells: hs.cells, window_start: hs.window_start, window_end: hs.window_end,
      from: points[0]!.t, to: new Date(to).toISOString(), until: new Date(now).toISOString(), bucket_ms: 3_600_000,
      band: { kind: 'poisson' as const, level: 0.95 as const }, points, engine_ms: 3 };
  },
  async playbookCatalogue() { return { own: [], shared: [], hidden: new Set<string>() }; },
  async managePlaybook() { throw new Error('The preview does not change playbooks.'); },
  onPlaybooksChange() { return () => {}; },
  async orgs(ids) { return ids.map((id) => ({ id, name: 'Northside City Operations', slug: 'northside' })); },
  async close() {},
};

const payload = btoa(JSON.stringify({ sub: 'u1', org_roles: { [ORG]: new URLSearchParams(location.search).get('role') ?? 'operator' } }));
const session = { access_token: `x.${payload}.y`, user: { id: 'u1', email: 'operator@northside.demo' } } as unknown as Session;
startApp(document.getElementById('app')!, { api, session, signOut: () => location.reload() });
if (new URLSearchParams(location.search).get('select')) {
  setTimeout(() => document.querySelector<SVGGElement>('.hotspot')?.dispatchEvent(new MouseEvent('click', { bubbles: true })), 200);
}
