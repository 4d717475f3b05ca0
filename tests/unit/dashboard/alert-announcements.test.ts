import { describe, expect, it } from 'vitest';
import { AlertAnnouncer } from '../../../dashboard/src/alert-announcements.ts';
import type { Alert } from '../../../dashboard/src/types.ts';

const T0 = Date.parse('2026-12-06T12:00:00Z');
const row = (over: Partial<Alert>): Alert => ({
  id: 1, org_id: 'o', hotspot_id: 1, dedup_key: 'k', category: 'fire', severity: 'high', state: 'firing', title: 'High fire hotspot',
  description: '', notify_count: 1, last_notified_at: new Date(T0 + 1000).toISOString(), notified_observed: 30, notified_cells: 1,
  notified_severity: 'high', consecutive_detections: 1, created_at: '', updated_at: '', acknowledged_at: null, acknowledged_by: null,
  resolved_at: null, resolved_by: null, version: 1, tx_id: '1', ...over,
} as Alert);

describe('which alert changes the browser announces', () => {
  it('a firing notified after the page started, then an escalation; not history, growth or other states', () => {
    const a = new AlertAnnouncer(T0);
    const old = row({ id: 9, last_notified_at: new Date(T0 - 60_000).toISOString() });
    expect(a.next([old])).toEqual([]);
    expect(a.next([old, row({ id: 1 })]).map((x) => [x.alert.id, x.event])).toEqual([[1, 'fired']]);
    expect(a.next([row({ id: 1, notify_count: 2 })])).toEqual([]); // grew: same severity
    expect(a.next([row({ id: 1, notify_count: 3, severity: 'critical' })]).map((x) => x.event)).toEqual(['escalated']);
    expect(a.next([row({ id: 1, notify_count: 3, severity: 'critical', state: 'acknowledged' })])).toEqual([]);
    const pending = row({ id: 2, notify_count: 0, state: 'pending', last_notified_at: null });
    expect(a.next([pending])).toEqual([]);
    expect(a.next([row({ id: 2, notify_count: 1 })]).map((x) => x.event)).toEqual(['fired']);
    expect(a.next([row({ id: 3, notify_count: 2, severity: 'critical', state: 'acknowledged' })])).toEqual([]);
  });
});
