/** The words of notifications, shared by the channels and worker functions (pure). */
import type { Severity as AlertSeverity } from '../vocabulary.ts';

export const NOTIFICATION_EVENTS = ['fired', 'escalated', 'grew', 'acknowledged', 'resolved'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies readonly AlertSeverity[];

/** The alert as the outbox trigger stored it (`to_jsonb(alerts row)`, the fields read here). */
export interface AlertSnapshot {
  id: number | string;
  org_id: string;
  hotspot_id: number | string;
  category: string;
  severity: AlertSeverity;
  state: string;
  title: string;
  description: string;
  notify_count: number;
  notified_observed: number | null;
  notified_cells: number | null;
  consecutive_detections: number;
  created_at: string;
  updated_at: string;
  last_notified_at: string | null;
  acknowledged_at: string | null;
  resolved_at: string | null;
  /** Set once org settings name districts (issue 21); absent today. */
  district?: string | null;
}

/** One notification to format: what happened to which alert of which org. */
export interface Notification {
  /** `test`: the channels function's test send, outside the outbox. */
  event: NotificationEvent | 'test';
  idempotencyKey: string;
  occurredAt: string;
  org: { id: string; slug: string; name: string };
  alert: AlertSnapshot;
  /** Link to the alert on the dashboard. */
  alertUrl: string;
  /** Where: the hotspot's centre and radius (the place in words is in the title); null when unknown. */
  place: Place | null;
}

export interface Place {
  lat: number;
  lng: number;
  radius_m: number;
}
