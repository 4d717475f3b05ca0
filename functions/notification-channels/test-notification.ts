/** The body of a channel's `test` send: a sample alert, event `test` (pure). */
import type { Notification } from '../_shared/notifications/types.ts';

export function testNotification(org: { id: string; slug: string; name: string }, alertUrl: (id: string) => string): Notification {
  const now = new Date().toISOString();
  return {
    event: 'test',
    idempotencyKey: `test-${crypto.randomUUID()}`,
    occurredAt: now,
    org,
    alertUrl: alertUrl('0'),
    place: null,
    alert: {
      id: 0, org_id: org.id, hotspot_id: 0, category: 'test', severity: 'low', state: 'firing',
      title: 'Test notification from Hotwatch', description: 'This is a test of the channel; no alert fired.',
      notify_count: 0, notified_observed: null, notified_cells: null, consecutive_detections: 0,
      created_at: now, updated_at: now, last_notified_at: null, acknowledged_at: null, resolved_at: null,
    },
  };
}
