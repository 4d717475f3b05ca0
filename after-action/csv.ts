/**
 * The after-action report as one CSV file (RFC 4180: CRLF line ends, fields quoted
 * when they hold a comma, quote or line break, quotes doubled — csv-stringify does
 * it). One table with a `section` column (hotspot, alert, alert_event, recommendation,
 * decision), so a spreadsheet filters it and the decision rows round-trip exactly:
 * `at` is the database's timestamp as the API sent it, `reason` the text as stored.
 */
import { stringify } from 'csv-stringify/sync';
import { personLabel, type AfterActionReport } from './model.ts';

export const CSV_COLUMNS = [
  'section', 'id', 'at', 'event', 'actor', 'actor_id', 'hotspot_id', 'alert_id', 'recommendation_id',
  'category', 'severity', 'status', 'title', 'reason', 'observed', 'expected', 'relative_risk', 'p_value', 'ended_at',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvRecord = Partial<Record<CsvColumn, string | number | null>>;

/** The report's rows, in section order, each section in id (= time) order. */
export function csvRecords(r: AfterActionReport): CsvRecord[] {
  const who = (id: string | null): CsvRecord => ({ actor: personLabel(r.people, id), actor_id: id });
  const alertOf = new Map(r.alerts.map((a) => [a.id, a]));
  return [
    ...r.hotspots.map((h): CsvRecord => ({
      section: 'hotspot', id: h.id, at: h.first_detected_at, event: 'detected', hotspot_id: h.id,
      category: h.category, severity: h.severity, status: h.status,
      title: `${h.observed} events in ${h.cells} cells around ${h.center_lat.toFixed(5)}, ${h.center_lng.toFixed(5)}`,
      observed: h.observed, expected: h.expected, relative_risk: h.relative_risk, p_value: h.p_value, ended_at: h.resolved_at,
    })),
    ...r.alerts.map((a): CsvRecord => ({
      section: 'alert', id: a.id, at: a.created_at, event: 'opened', hotspot_id: a.hotspot_id, alert_id: a.id,
      category: a.category, severity: a.severity, status: a.state, title: a.title, ended_at: a.resolved_at,
    })),
    ...r.alertEvents.map((e): CsvRecord => {
      const a = alertOf.get(e.alert_id);
      return {
        section: 'alert_event', id: e.id, at: e.at, event: e.event, ...who(e.actor), hotspot_id: a?.hotspot_id, alert_id: e.alert_id,
        category: a?.category, severity: e.severity, status: e.state, title: a?.title,
      };
    }),
    ...r.recommendations.map((x): CsvRecord => ({
      section: 'recommendation', id: x.id, at: x.created_at, event: 'proposed', ...who(x.decided_by),
      hotspot_id: x.hotspot_id, alert_id: x.alert_id, recommendation_id: x.id, category: alertOf.get(x.alert_id)?.category,
      status: x.status, title: x.playbook_title ? `#${x.rank} ${x.action} (playbook: ${x.playbook_title})` : `#${x.rank} ${x.action}`,
      reason: x.decision_reason, ended_at: x.decided_at,
    })),
    ...r.decisions.map((d): CsvRecord => ({
      section: 'decision', id: d.id, at: d.created_at, event: d.action, ...who(d.actor),
      alert_id: d.alert_id, recommendation_id: d.recommendation_id, status: `${d.from_status} -> ${d.to_status}`, reason: d.reason,
    })),
  ];
}

export function toCsv(r: AfterActionReport): string {
  return stringify(csvRecords(r), {
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    // Absent and null are empty fields; numbers as JavaScript prints them (round-trip exact).
    cast: { number: (v) => String(v) },
  });
}

/** File name for a report: org, period start and end (UTC dates). */
export function exportFileName(r: Pick<AfterActionReport, 'org' | 'period'>, ext: 'csv' | 'html'): string {
  const slug = r.org.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || r.org.id;
  return `hotwatch-${slug}-${r.period.from.slice(0, 10)}-to-${r.period.to.slice(0, 10)}.${ext}`;
}
