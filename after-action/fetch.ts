/**
 * Read an org's after-action report for a period through the REST API with the
 * caller's own client (supabase-js): RLS decides what is in it, so a viewer exports
 * exactly what a viewer may read and another org's rows never appear. Plain selects,
 * paged by id (the API caps a read at db-max-rows, 1000 by default).
 *
 * What "in the period" means, per section (docs/export.md):
 *  - hotspots and alerts: active at some time in it (opened before its end, not resolved before its start);
 *  - alert lifecycle steps and decisions: made in it;
 *  - recommendations: proposed or decided in it.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type {
  AfterActionReport, AlertEventLine, AlertLine, DecisionLine, HotspotLine, Period, Person, RecommendationLine,
} from './model.ts';

const PAGE = 1000;

/** The subset of supabase-js's filter builder the report uses. */
interface Filterable<T> extends PromiseLike<{ data: T[] | null; error: { message: string } | null }> {
  eq(col: string, v: string): Filterable<T>;
  gt(col: string, v: number): Filterable<T>;
  gte(col: string, v: string): Filterable<T>;
  lt(col: string, v: string): Filterable<T>;
  or(filters: string): Filterable<T>;
  order(col: string, o?: { ascending?: boolean }): Filterable<T>;
  limit(n: number): Filterable<T>;
}

type Narrow<T> = (q: Filterable<T>) => Filterable<T>;

/** Every row of `table` for the org that `narrow` keeps, in id order, a page at a time. */
async function readAll<T extends { id: number }>(sb: SupabaseClient, table: string, columns: string, orgId: string, narrow: Narrow<T>): Promise<T[]> {
  const out: T[] = [];
  for (let last = 0; ;) {
    const base = sb.from(table).select(columns).eq('org_id', orgId) as unknown as Filterable<T>;
    const { data, error } = await narrow(base).gt('id', last).order('id').limit(PAGE);
    if (error) throw new Error(`reading ${table}: ${error.message}`);
    const rows = data ?? [];
    out.push(...rows);
    if (rows.length < PAGE) return out;
    last = rows[rows.length - 1]!.id;
  }
}

/** Active at some time in the period: started before its end and not ended before its start. */
const activeIn = <T>(p: Period, started: string, ended: string): Narrow<T> =>
  (q) => q.lt(started, p.to).or(`${ended}.is.null,${ended}.gte.${p.from}`);
const madeIn = <T>(p: Period, at: string): Narrow<T> => (q) => q.gte(at, p.from).lt(at, p.to);

interface HotspotRow extends Omit<HotspotLine, 'cells'> { cells: string[] }
interface RecommendationRow extends Omit<RecommendationLine, 'playbook_title'> { playbook: { title: string } | null }

export async function fetchAfterAction(sb: SupabaseClient, q: { orgId: string; period: Period; now?: Date }): Promise<AfterActionReport> {
  const { orgId, period: p } = q;
  const org = await sb.from('orgs').select('id, name').eq('id', q.orgId).maybeSingle();
  if (org.error) throw new Error(`reading the organisation: ${org.error.message}`);
  if (!org.data) throw new Error(`no organisation ${orgId} that you may read (not a member, or no such organisation)`);

  const [hotspots, alerts, alertEvents, recommendations, decisions, members] = await Promise.all([
    readAll<HotspotRow>(sb, 'hotspots',
      'id, category, severity, status, observed, expected, relative_risk, p_value, cells, center_lat, center_lng, first_detected_at, last_detected_at, resolved_at',
      orgId, activeIn(p, 'first_detected_at', 'resolved_at')),
    readAll<AlertLine>(sb, 'alerts',
      'id, hotspot_id, category, severity, state, title, created_at, acknowledged_by, acknowledged_at, resolved_by, resolved_at',
      orgId, activeIn(p, 'created_at', 'resolved_at')),
    readAll<AlertEventLine>(sb, 'alert_events', 'id, alert_id, event, state, severity, actor, at', orgId, madeIn(p, 'at')),
    readAll<RecommendationRow>(sb, 'recommendations',
      'id, alert_id, hotspot_id, rank, action, status, created_at, decided_by, decided_at, decision_reason, playbook:playbooks(title)',
      orgId, (x) => x.or(`and(created_at.gte.${p.from},created_at.lt.${p.to}),and(decided_at.gte.${p.from},decided_at.lt.${p.to})`)),
    readAll<DecisionLine>(sb, 'decisions',
      'id, action, recommendation_id, alert_id, from_status, to_status, reason, actor, created_at', orgId, madeIn(p, 'created_at')),
    sb.from('memberships').select('user_id, email, display_name').eq('org_id', orgId),
  ]);
  if (members.error) throw new Error(`reading the members: ${members.error.message}`);
  const people: Record<string, Person> = {};
  for (const m of (members.data ?? []) as Array<{ user_id: string; email: string | null; display_name: string | null }>) {
    people[m.user_id] = { id: m.user_id, email: m.email, name: m.display_name };
  }
  return {
    org: { id: org.data.id as string, name: org.data.name as string },
    period: p,
    generatedAt: (q.now ?? new Date()).toISOString(),
    hotspots: hotspots.map((h) => ({ ...h, cells: h.cells.length })),
    alerts,
    alertEvents,
    recommendations: recommendations.map(({ playbook, ...r }) => ({ ...r, playbook_title: playbook?.title ?? null })),
    decisions,
    people,
  };
}
