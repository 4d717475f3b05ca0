/** The after-action export's pure parts: CSV (RFC 4180) and HTML rendering, the period, the CLI's options and target. */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, escapeHtml, exportFileName, parsePeriod, reportCounts, reportDocument, toCsv, type AfterActionReport, type DecisionLine } from '../../../after-action/index.ts';
import { parseExportOptions, readAsFromEnv } from '../../../tools/export/options.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const USER = '22222222-2222-4222-8222-222222222222';

function report(decisions: DecisionLine[]): AfterActionReport {
  return {
    org: { id: ORG, name: 'North & <Side>' },
    period: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' },
    generatedAt: '2026-12-06T12:00:00.000Z',
    hotspots: [{ id: 1, category: 'fire', severity: 'high', status: 'new', observed: 30, expected: 10.25, relative_risk: 2.9268292682926833, p_value: 0.001,
      cells: 7, center_lat: 40.75, center_lng: -73.99, first_detected_at: '2026-12-01T10:00:00.123456+00:00', last_detected_at: '2026-12-01T11:00:00+00:00', resolved_at: null }],
    alerts: [{ id: 2, hotspot_id: 1, category: 'fire', severity: 'high', state: 'resolved', title: 'High fire <hotspot>', created_at: '2026-12-01T10:00:00+00:00',
      acknowledged_by: USER, acknowledged_at: '2026-12-01T10:05:00+00:00', resolved_by: USER, resolved_at: '2026-12-01T12:00:00+00:00' }],
    alertEvents: [
      { id: 3, alert_id: 2, event: 'fired', state: 'firing', severity: 'high', actor: null, at: '2026-12-01T10:00:00+00:00' },
      { id: 4, alert_id: 2, event: 'acknowledged', state: 'acknowledged', severity: 'high', actor: USER, at: '2026-12-01T10:05:00+00:00' },
    ],
    recommendations: [{ id: 5, alert_id: 2, hotspot_id: 1, rank: 1, action: 'Stage crews', playbook_title: 'Fire surge', status: 'approved',
      created_at: '2026-12-01T10:00:00+00:00', decided_by: USER, decided_at: '2026-12-01T10:05:00+00:00', decision_reason: 'ok' }],
    decisions,
    people: { [USER]: { id: USER, email: 'op@example.org', name: 'Ana "Op", Jr.' } },
  };
}
const decision = (reason: string | null, id = 9): DecisionLine => ({
  id, action: 'reject', recommendation_id: 5, alert_id: 2, from_status: 'pending', to_status: 'rejected', reason, actor: USER, created_at: '2026-12-01T10:05:00.654321+00:00',
});

describe('after-action CSV', () => {
  it('is RFC 4180: header, CRLF records, fields with commas, quotes or line breaks quoted with quotes doubled', () => {
    const csv = toCsv(report([decision('north, "east"\r\nand west')]));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toContain('"north, ""east""\r\nand west"');
    expect(csv).toContain('"Ana ""Op"", Jr. <op@example.org>"');
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parse(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.section)).toEqual(['hotspot', 'alert', 'alert_event', 'alert_event', 'recommendation', 'decision']);
    expect(rows[0]).toMatchObject({ id: '1', at: '2026-12-01T10:00:00.123456+00:00', relative_risk: '2.9268292682926833', expected: '10.25', ended_at: '' });
    expect(rows[2]).toMatchObject({ event: 'fired', actor: '', actor_id: '', title: 'High fire <hotspot>', hotspot_id: '1' });
    expect(rows[5]).toMatchObject({ event: 'reject', actor_id: USER, at: '2026-12-01T10:05:00.654321+00:00', status: 'pending -> rejected', recommendation_id: '5' });
  });

  it('round-trips any reason exactly', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 5 }), (reasons) => {
      const rows = parse(toCsv(report(reasons.map((r, i) => decision(r, i + 1)))), { columns: true, relax_column_count: false }) as Array<Record<string, string>>;
      expect(rows.filter((r) => r.section === 'decision').map((r) => r.reason)).toEqual(reasons);
    }), { numRuns: 100 });
  });

  it('names the file after the org and the period', () => {
    expect(exportFileName(report([]), 'csv')).toBe('hotwatch-north-side-2026-12-01-to-2026-12-02.csv');
  });
});

describe('after-action HTML', () => {
  it('escapes every value and carries its print stylesheet', () => {
    const html = reportDocument(report([decision('<script>alert(1)</script> & "x"')]));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
    expect(html).toContain('After-action report: North &amp; &lt;Side&gt;');
    expect(html).toContain('High fire &lt;hotspot&gt;');
    expect(html).toContain('@media print');
    expect(html).toContain('2026-12-01 10:05:00 UTC by Ana &quot;Op&quot;, Jr. &lt;op@example.org&gt;');
    expect(escapeHtml(`'`)).toBe('&#39;');
  });

  it('counts what it holds, singular for one', () => {
    expect(reportCounts(report([decision('x')]))).toBe('1 hotspot, 1 alert, 2 lifecycle steps, 1 recommendation, 1 decision');
    expect(reportDocument(report([]))).toContain('<li>0 decisions</li>');
  });

  it('says so when a section is empty', () => {
    expect(reportDocument({ ...report([]), hotspots: [] })).toContain('No hotspot was active in this period.');
  });
});

describe('period and command line', () => {
  it('parses ISO dates and date-times with an offset into UTC; refuses the rest', () => {
    expect(parsePeriod('2026-12-01', '2026-12-01T08:00:00+01:00')).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2026-12-01T07:00:00.000Z' });
    expect(() => parsePeriod('2026-12-01T08:00', '2026-12-02')).toThrow(/from must be an ISO 8601 date or date-time with an offset/);
    expect(() => parsePeriod('2026-12-01', 'tomorrow')).toThrow(/to must be/);
    expect(() => parsePeriod('2026-12-02', '2026-12-02')).toThrow('to must be after from');
    expect(() => parsePeriod('2025-01-01', '2026-12-02')).toThrow(/at most 366 days/);
  });

  it('takes the format from --format, else --out\'s extension, else csv', () => {
    const base = ['--org', ORG, '--from', '2026-12-01', '--to', '2026-12-02'];
    expect(parseExportOptions(base)).toMatchObject({ orgId: ORG, format: 'csv', out: null });
    expect(parseExportOptions([...base, '--out', 'r.HTML']).format).toBe('html');
    expect(parseExportOptions([...base, '--out', 'r.html', '--format', 'csv']).format).toBe('csv');
    expect(() => parseExportOptions([...base, 'extra'])).toThrow(/Unexpected argument/);
  });

  it('reads as the token\'s user, or with the service key; a hosted project needs one of them', () => {
    const local = { url: 'http://127.0.0.1:54321', anonKey: 'anon', serviceKey: 'service' };
    expect(readAsFromEnv({}, local)).toEqual({ kind: 'service', url: local.url, serviceKey: 'service' });
    expect(readAsFromEnv({ HOTWATCH_ACCESS_TOKEN: 't' }, local)).toEqual({ kind: 'user', url: local.url, anonKey: 'anon', accessToken: 't' });
    const hosted = { SUPABASE_URL: 'https://x.supabase.co' };
    expect(() => readAsFromEnv(hosted, local)).toThrow(/neither HOTWATCH_ACCESS_TOKEN/);
    expect(() => readAsFromEnv({ ...hosted, HOTWATCH_ACCESS_TOKEN: 't' }, local)).toThrow(/SUPABASE_ANON_KEY/);
    expect(readAsFromEnv({ ...hosted, HOTWATCH_ACCESS_TOKEN: 't', SUPABASE_ANON_KEY: 'k' }, local)).toMatchObject({ kind: 'user', url: hosted.SUPABASE_URL, anonKey: 'k' });
    expect(readAsFromEnv({ ...hosted, SUPABASE_SERVICE_ROLE_KEY: 's' }, local)).toMatchObject({ kind: 'service', serviceKey: 's' });
  });
});
