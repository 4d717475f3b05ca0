/**
 * Routing rules and silences (pure).
 *
 * A channel's rule narrows what it receives: `min_severity` (at or above), `categories`,
 * `events` and `districts`; an absent field does not narrow. Districts come from org
 * settings (issue 21, not built yet): a rule's or silence's district narrows only
 * alerts that carry a district, so an alert whose place is unknown is never dropped
 * by a district filter — it is sent rather than lost.
 */
import { z } from 'zod';
import { SEVERITY_RANK } from '../vocabulary.ts';
import { NOTIFICATION_EVENTS, SEVERITIES, type AlertSnapshot, type NotificationEvent } from './types.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

export const ruleSchema = z.strictObject({
  min_severity: z.enum(SEVERITIES).optional(),
  categories: z.array(text(100)).min(1).max(100).optional(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).max(NOTIFICATION_EVENTS.length).optional(),
  districts: z.array(text(500)).min(1).max(500).optional(),
});
export type Rule = z.infer<typeof ruleSchema>;

export type RouteDecision = { send: true } | { send: false; reason: string };

/**
 * Whether a channel with `rule` receives `event` of `alert`. A stored rule that no longer
 * parses sends (never lose). `mirrored` events pass the `events` filter whatever it says
 * (a PagerDuty channel mirrors acknowledge and resolve, or its incidents stay open).
 */
export function route(rawRule: unknown, alert: AlertSnapshot, event: NotificationEvent, mirrored: readonly NotificationEvent[] = []): RouteDecision {
  const parsed = ruleSchema.safeParse(rawRule ?? {});
  if (!parsed.success) return { send: true };
  const rule = parsed.data;
  if (rule.min_severity && SEVERITY_RANK[alert.severity] < SEVERITY_RANK[rule.min_severity]) {
    return { send: false, reason: `severity ${alert.severity} below ${rule.min_severity}` };
  }
  if (rule.categories && !rule.categories.includes(alert.category)) return { send: false, reason: `category ${alert.category} not routed` };
  if (rule.events && !rule.events.includes(event) && !mirrored.includes(event)) return { send: false, reason: `event ${event} not routed` };
  if (rule.districts && alert.district && !rule.districts.includes(alert.district)) {
    return { send: false, reason: `district ${alert.district} not routed` };
  }
  return { send: true };
}

export interface Silence {
  id: string;
  category: string | null;
  district: string | null;
  min_severity: AlertSnapshot['severity'] | null;
  starts_at: Date;
  ends_at: Date;
}

/** The first silence active at `at` whose every matcher matches the alert, if any. */
export function matchingSilence(silences: readonly Silence[], alert: AlertSnapshot, at: Date): Silence | undefined {
  return silences.find((s) =>
    s.starts_at.getTime() <= at.getTime() && at.getTime() < s.ends_at.getTime()
    && (s.category === null || s.category === alert.category)
    && (s.district === null || (alert.district != null && s.district === alert.district))
    && (s.min_severity === null || SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[s.min_severity]));
}
