import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN_CONFIG } from '../../../functions/hotspot-scan/rules/config.ts';
import { dedupKeyFor, matchClusters, planHotspots } from '../../../functions/hotspot-scan/rules/hotspots.ts';
import { planScan } from '../../../functions/hotspot-scan/rules/plan.ts';
import type { ActiveState, AlertRow, Detection, HotspotRow } from '../../../functions/hotspot-scan/rules/state.ts';

const cfg = DEFAULT_SCAN_CONFIG;
const H = 3_600_000;
const T0 = Date.parse('2026-11-26T10:30:00Z');

const det = (over: Partial<Detection> = {}): Detection => ({
  category: 'fire', model: 'ebp', severity: 'medium', cells: ['a', 'b', 'c'], centerCell: 'a', centerLat: 0, centerLng: 0, radiusM: 900,
  windowStart: T0 - 2 * H, windowEnd: T0 + H / 2, observed: 12, expected: 3, relativeRisk: 4, score: 9, pValue: 0.001, recurrenceIntervalDays: 41.7, ...over,
});
const hot = (over: Partial<HotspotRow> = {}): HotspotRow => ({
  id: 1, category: 'fire', dedupKey: 'fire:a', status: 'new', severity: 'medium', cells: ['a', 'b', 'c'], observed: 12, expected: 3,
  windowStart: T0 - 2 * H, windowEnd: T0 + H / 2, pValue: 0.001, quietScans: 0, lastDetectedAt: T0, ...over,
});
const alert = (over: Partial<AlertRow> = {}): AlertRow => ({
  id: 10, hotspotId: 1, dedupKey: 'fire:a', category: 'fire', severity: 'medium', state: 'firing', consecutiveDetections: 2, notifyCount: 1,
  notifiedObserved: 12, notifiedCells: 3, notifiedSeverity: 'medium', lastNotifiedAt: T0, resolvedManually: false, updatedAt: T0, ...over,
});
const state = (s: Partial<ActiveState> = {}): ActiveState => ({ hotspots: [], alerts: [], lastResolvedAlerts: [], ...s });

describe('hotspot lifecycle', () => {
  it('keys a new cluster by category and centre cell', () => {
    const ops = planHotspots([], [det()], T0, cfg);
    expect(ops).toEqual([expect.objectContaining({ kind: 'insert', dedupKey: 'fire:a', status: 'new', write: true })]);
    expect(dedupKeyFor(det({ category: 'flood', centerCell: 'z' }))).toBe('flood:z');
  });

  it('continues the overlapping hotspot even when the centre moved, new → ongoing', () => {
    const ops = planHotspots([hot()], [det({ centerCell: 'c', cells: ['c', 'd', 'e', 'b'] })], T0 + 60_000, cfg);
    expect(ops).toEqual([expect.objectContaining({ kind: 'update', dedupKey: 'fire:a', status: 'ongoing', write: true })]);
  });

  it('never matches across categories, and gives each hotspot at most one cluster', () => {
    const m = matchClusters([hot()], [det({ category: 'flood' }), det({ cells: ['a'] }), det({ cells: ['a', 'b'], centerCell: 'b' })]);
    expect([...m.keys()].map((d) => d.cells.join())).toEqual(['a,b']);
  });

  it('writes a re-detection only on news or once per bucket', () => {
    const same = planHotspots([hot({ status: 'ongoing' })], [det()], T0 + 60_000, cfg);
    expect(same[0]).toMatchObject({ kind: 'touch', write: false });
    const grown = planHotspots([hot({ status: 'ongoing' })], [det({ observed: 13 })], T0 + 60_000, cfg);
    expect(grown[0]).toMatchObject({ kind: 'update', write: true });
    const nextBucket = planHotspots([hot({ status: 'ongoing' })], [det()], T0 + H, cfg);
    expect(nextBucket[0]).toMatchObject({ kind: 'update', write: true });
  });

  it('counts quiet buckets, not scans, and resolves after N quiet buckets', () => {
    const h = hot({ status: 'ongoing', lastDetectedAt: T0 });
    expect(planHotspots([h], [], T0 + 10 * 60_000, cfg)[0]).toMatchObject({ kind: 'quiet', quietScans: 0, write: false });
    expect(planHotspots([h], [], T0 + H, cfg)[0]).toMatchObject({ kind: 'quiet', quietScans: 1, write: true });
    expect(planHotspots([{ ...h, quietScans: 1 }], [], T0 + H + 60_000, cfg)[0]).toMatchObject({ kind: 'quiet', quietScans: 1, write: false });
    expect(planHotspots([h], [], T0 + 2 * H, cfg)[0]).toMatchObject({ kind: 'resolve', status: 'resolved', write: true });
  });

  it('leaves hotspots of a category whose scan failed alone', () => {
    expect(planHotspots([hot()], [], T0 + 3 * H, cfg, new Set(['fire']))).toEqual([]);
  });
});

describe('scan plan', () => {
  it('new medium cluster: hotspot + pending alert, no recommendations yet', () => {
    const p = planScan(state(), [det()], T0, cfg);
    expect(p.hotspots).toHaveLength(1);
    expect(p.alerts).toEqual([expect.objectContaining({ kind: 'insert', hotspotKey: 'fire:a', step: expect.objectContaining({ next: expect.objectContaining({ state: 'pending' }) }) })]);
    expect(p.alerts[0]!.text!.title).toBe('Fire: 12 events in 3 cells over the last 3 h');
    expect(p.recommendations).toEqual([]);
  });

  it('new high cluster: firing alert and a recommendation request at revision 3', () => {
    const p = planScan(state(), [det({ severity: 'high' })], T0, cfg);
    expect(p.alerts[0]!.step.next.state).toBe('firing');
    expect(p.recommendations).toEqual([expect.objectContaining({ hotspotKey: 'fire:a', revision: 3, severity: 'high' })]);
  });

  it('a repeated scan of unchanged data plans no writes at all', () => {
    const s = state({ hotspots: [hot({ status: 'ongoing' })], alerts: [alert()] });
    const p = planScan(s, [det()], T0 + 60_000, cfg);
    expect(p.hotspots.filter((h) => h.write)).toEqual([]);
    expect(p.alerts).toEqual([]);
    expect(p.recommendations).toEqual([]);
  });

  it('escalation re-notifies and requests the next revision', () => {
    const s = state({ hotspots: [hot({ status: 'ongoing' })], alerts: [alert()] });
    const p = planScan(s, [det({ severity: 'critical', observed: 40 })], T0 + 60_000, cfg);
    expect(p.alerts[0]).toMatchObject({ kind: 'update', step: { reason: 'escalated', notify: true } });
    expect(p.recommendations.map((r) => r.revision)).toEqual([4]);
  });

  it('the hotspot resolving resolves its alert', () => {
    const s = state({ hotspots: [hot({ status: 'ongoing', lastDetectedAt: T0 })], alerts: [alert()] });
    const p = planScan(s, [], T0 + 2 * H, cfg);
    expect(p.hotspots[0]!.kind).toBe('resolve');
    expect(p.alerts[0]).toMatchObject({ kind: 'update', step: { next: { state: 'resolved' } } });
  });

  it('after an operator resolved the alert, only an escalation reopens one', () => {
    const prior = alert({ state: 'resolved', resolvedManually: true, severity: 'medium' });
    const s = state({ hotspots: [hot({ status: 'ongoing' })], lastResolvedAlerts: [prior] });
    expect(planScan(s, [det({ observed: 30 })], T0 + H, cfg).alerts).toEqual([]);
    const p = planScan(s, [det({ severity: 'high', observed: 30 })], T0 + H, cfg);
    expect(p.alerts).toEqual([expect.objectContaining({ kind: 'insert', step: expect.objectContaining({ notify: true, reason: 'escalated' }) })]);
    expect(p.recommendations).toHaveLength(1);
  });
});
