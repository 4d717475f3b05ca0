/**
 * The after-action report as one printable HTML document (no script, no outside
 * resources: it opens from a file or a blob URL and prints as is). Every value from
 * the database is escaped; times are shown in UTC so the paper record does not
 * depend on the reader's zone.
 */
import { personLabel, reportCounts, type AfterActionReport, type AlertEventLine } from './model.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** "2026-12-06 12:00:00 UTC"; empty for null. */
export function utc(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Screen and print styles: A4 landscape, header rows repeated on each page, rows never split. */
export const REPORT_CSS = `
:root { color: #1a1a1a; background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 2px solid #1a1a1a; padding-bottom: 2px; }
.meta { color: #444; margin: 0 0 4px; }
.summary { display: flex; flex-wrap: wrap; gap: 8px 24px; padding: 0; list-style: none; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; color: #444; padding-bottom: 4px; }
th, td { border: 1px solid #999; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
ol.steps { margin: 0; padding-left: 1.2em; }
.empty { color: #444; font-style: italic; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  :root { font-size: 10pt; }
  body { margin: 0; max-width: none; padding: 0; }
  thead { display: table-header-group; }
  tr, li { break-inside: avoid; }
  h2 { break-after: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}`;

type Cell = string | { num: string };
const td = (c: Cell): string => (typeof c === 'string' ? `<td>${c}</td>` : `<td class="num">${c.num}</td>`);

function table(id: string, caption: string, headers: string[], rows: Cell[][], none: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${escapeHtml(none)}</p>`;
  return `<table id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr>${headers.map((x) => `<th scope="col">${escapeHtml(x)}</th>`).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('')}</tbody></table>`;
}

const num = (v: number, digits?: number): Cell => ({ num: escapeHtml(digits === undefined ? v : v.toFixed(digits)) });
const pValue = (p: number): Cell => ({ num: p < 0.001 ? '&lt; 0.001' : escapeHtml(p.toFixed(3)) });

/** The report's sections (for embedding); reportDocument wraps them in a page. */
export function reportBody(r: AfterActionReport): string {
  const who = (id: string | null, none = 'the scan'): string => escapeHtml(id === null ? none : personLabel(r.people, id));
  const steps = new Map<number, AlertEventLine[]>();
  for (const e of r.alertEvents) steps.set(e.alert_id, [...(steps.get(e.alert_id) ?? []), e]);
  const stepList = (alertId: number): string => {
    const s = steps.get(alertId) ?? [];
    if (s.length === 0) return '<span class="empty">none in this period</span>';
    return `<ol class="steps">${s.map((e) => `<li>${escapeHtml(e.event)} (${escapeHtml(e.severity)}) ${escapeHtml(utc(e.at))} by ${who(e.actor)}</li>`).join('')}</ol>`;
  };
  return [
    `<header><h1>After-action report: ${escapeHtml(r.org.name)}</h1>`,
    `<p class="meta">Period ${escapeHtml(utc(r.period.from))} to ${escapeHtml(utc(r.period.to))} (end excluded). Generated ${escapeHtml(utc(r.generatedAt))}.</p>`,
    `<p class="meta">What the person who exported it may read (row-level security applies).</p></header>`,
    `<main><section aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2><ul class="summary">${reportCounts(r).split(', ').map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul></section>`,
    `<section aria-labelledby="hotspots-title"><h2 id="hotspots-title">Hotspots</h2>`,
    table('hotspots', 'Hotspots active in the period', ['ID', 'Category', 'Severity', 'Status', 'Events', 'Expected', 'Relative risk', 'p-value', 'Cells', 'First detected', 'Last detected', 'Resolved'],
      r.hotspots.map((h) => [num(h.id), escapeHtml(h.category), escapeHtml(h.severity), escapeHtml(h.status), num(h.observed), num(h.expected, 1),
        num(h.relative_risk, 2), pValue(h.p_value), num(h.cells), escapeHtml(utc(h.first_detected_at)), escapeHtml(utc(h.last_detected_at)), escapeHtml(utc(h.resolved_at))]),
      'No hotspot was active in this period.'),
    `</section><section aria-labelledby="alerts-title"><h2 id="alerts-title">Alerts and their lifecycle</h2>`,
    table('alerts', 'Alerts open at some time in the period; lifecycle steps made in it', ['ID', 'Alert', 'Severity', 'State', 'Opened', 'Lifecycle (who and when)', 'Resolved'],
      r.alerts.map((a) => [num(a.id), `${escapeHtml(a.title)} <span class="empty">(hotspot ${escapeHtml(a.hotspot_id)})</span>`, escapeHtml(a.severity), escapeHtml(a.state),
        escapeHtml(utc(a.created_at)), stepList(a.id), a.resolved_at ? `${escapeHtml(utc(a.resolved_at))} by ${who(a.resolved_by)}` : '']),
      'No alert was open in this period.'),
    `</section><section aria-labelledby="recs-title"><h2 id="recs-title">Recommendations and decisions</h2>`,
    table('recommendations', 'Recommendations proposed or decided in the period', ['ID', 'Alert', 'Rank', 'Recommended action', 'Status', 'Decided by', 'Decided', 'Reason'],
      r.recommendations.map((x) => [num(x.id), num(x.alert_id), num(x.rank),
        `${escapeHtml(x.action)}${x.playbook_title ? `<br><span class="empty">playbook: ${escapeHtml(x.playbook_title)}</span>` : ''}`,
        escapeHtml(x.status), x.decided_by ? who(x.decided_by) : '', escapeHtml(utc(x.decided_at)), escapeHtml(x.decision_reason ?? '')]),
      'No recommendation was proposed or decided in this period.'),
    `</section><section aria-labelledby="decisions-title"><h2 id="decisions-title">Decision log</h2>`,
    table('decisions', 'Every decision made in the period, oldest first', ['When', 'Who', 'Decision', 'On', 'Change', 'Reason'],
      r.decisions.map((d) => [escapeHtml(utc(d.created_at)), who(d.actor, 'unknown'), escapeHtml(d.action),
        escapeHtml(d.recommendation_id !== null ? `recommendation ${d.recommendation_id}` : `alert ${d.alert_id}`),
        `${escapeHtml(d.from_status)} → ${escapeHtml(d.to_status)}`, escapeHtml(d.reason ?? '')]),
      'No decision was made in this period.'),
    '</section></main>',
  ].join('\n');
}

/** A standalone, printable HTML page. */
export function reportDocument(r: AfterActionReport): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>After-action report: ${escapeHtml(r.org.name)}, ${escapeHtml(r.period.from.slice(0, 10))} to ${escapeHtml(r.period.to.slice(0, 10))}</title>`
    + `<style>${REPORT_CSS}</style></head><body>\n${reportBody(r)}\n</body></html>\n`;
}
