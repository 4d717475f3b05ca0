/**
 * The after-action report: what an org's members may read about a period — hotspots,
 * alerts with their lifecycle, recommendations with their decisions — as plain rows
 * (timestamps kept as the REST API sends them, so nothing is lost to rounding).
 */
export interface Period {
  /** Inclusive start, ISO 8601. */
  from: string;
  /** Exclusive end, ISO 8601. */
  to: string;
}

export interface Person {
  id: string;
  email: string | null;
  name: string | null;
}

export interface HotspotLine {
  id: number;
  category: string;
  severity: string;
  status: string;
  observed: number;
  expected: number;
  relative_risk: number;
  p_value: number;
  cells: number;
  center_lat: number;
  center_lng: number;
  first_detected_at: string;
  last_detected_at: string;
  resolved_at: string | null;
}

export interface AlertLine {
  id: number;
  hotspot_id: number;
  category: string;
  severity: string;
  state: string;
  title: string;
  created_at: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
}

/** One step of an alert's lifecycle (public.alert_events): opened, fired, escalated, acknowledged, resolved. */
export interface AlertEventLine {
  id: number;
  alert_id: number;
  event: string;
  state: string;
  severity: string;
  /** Null: the scan made the step. */
  actor: string | null;
  at: string;
}

export interface RecommendationLine {
  id: number;
  alert_id: number;
  hotspot_id: number;
  rank: number;
  action: string;
  playbook_title: string | null;
  status: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
}

/** One row of the decisions log (public.decisions): who decided what, when and why. */
export interface DecisionLine {
  id: number;
  action: string;
  recommendation_id: number | null;
  alert_id: number | null;
  from_status: string;
  to_status: string;
  reason: string | null;
  actor: string | null;
  created_at: string;
}

export interface AfterActionReport {
  org: { id: string; name: string };
  period: Period;
  generatedAt: string;
  hotspots: HotspotLine[];
  alerts: AlertLine[];
  alertEvents: AlertEventLine[];
  recommendations: RecommendationLine[];
  decisions: DecisionLine[];
  /** The org's members by user id (email, name), to say who acted. */
  people: Record<string, Person>;
}

/** How a person is named in the report: "Name <email>", the email, or the bare id (a former member). */
export function personLabel(people: Record<string, Person>, id: string | null): string {
  if (id === null) return '';
  const p = people[id];
  if (!p?.email) return p?.name ?? id;
  return p.name ? `${p.name} <${p.email}>` : p.email;
}

/** "3 hotspots, 1 alert, 5 lifecycle steps, 2 recommendations, 4 decisions": what a report holds. */
export function reportCounts(r: Pick<AfterActionReport, 'hotspots' | 'alerts' | 'alertEvents' | 'recommendations' | 'decisions'>): string {
  const n = (count: number, one: string): string => `${count} ${one}${count === 1 ? '' : 's'}`;
  return [n(r.hotspots.length, 'hotspot'), n(r.alerts.length, 'alert'), n(r.alertEvents.length, 'lifecycle step'),
    n(r.recommendations.length, 'recommendation'), n(r.decisions.length, 'decision')].join(', ');
}
