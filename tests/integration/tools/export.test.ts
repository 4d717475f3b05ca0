/**
 * The after-action export against the test stack: decisions made through the real
 * `decisions` function by a signed-in operator (supabase-js), then exported with the
 * shared module and with `npm run export` as a child process reading as a user's token.
 * The CSV round-trips the decisions audit (audit_log, read over REST by an admin)
 * exactly; a viewer's export holds only their org's rows; period bounds hold; the
 * alert lifecycle (alert_events trigger) says who and when; bad arguments exit 2.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { parse } from 'csv-parse/sync';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CSV_COLUMNS, fetchAfterAction, parsePeriod, toCsv } from '../../../after-action/index.ts';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { adminSql } from '../../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { alertWithRecommendations } from '../functions/stream-fixture.ts';

const sql = adminSql(4);
let a: TestOrg;
let b: TestOrg;
let dir: string;
let operatorA: SupabaseClient;
let viewerA: SupabaseClient;
let adminA: SupabaseClient;
let operatorB: SupabaseClient;
let viewerToken: string;
let started: string;
const decisionIds: number[] = [];
let lifecycleAlert: string;

async function signedIn(email: string): Promise<{ client: SupabaseClient; token: string }> {
  const { apiUrl, anonKey } = inject('stack');
  const client = createClient(apiUrl, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
  const { data, error } = await client.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw error;
  return { client, token: data.session!.access_token };
}

async function decide(client: SupabaseClient, body: Record<string, unknown>): Promise<void> {
  const { data, error } = await client.functions.invoke('decisions', { body });
  if (error) throw new Error(`decisions ${JSON.stringify(body)}: ${error.message} ${await (error.context as Response | undefined)?.text?.()}`);
  decisionIds.push(Number(data.decision.id));
}

const dbNow = async (): Promise<string> => ((await sql`select clock_timestamp() as t`)[0]!.t as Date).toISOString();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  a = await createTestOrg(sql, 'exp-a');
  b = await createTestOrg(sql, 'exp-b');
  const admin = await addMember(sql, a.id, 'admin');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-export-'));
  started = new Date(Date.parse(await dbNow()) - 1000).toISOString();
  operatorA = (await signedIn(a.operator.email)).client;
  adminA = (await signedIn(admin.email)).client;
  operatorB = (await signedIn(b.operator.email)).client;
  const v = await signedIn(a.viewer.email);
  viewerA = v.client;
  viewerToken = v.token;

  // Org A: approve (acknowledges the alert), reject with a reason that needs CSV quoting
  // and HTML escaping, resolve. Org B: a decision of its own that A must never see.
  const fx = await alertWithRecommendations(sql, a.id, 2);
  lifecycleAlert = fx.alertId;
  await decide(operatorA, { action: 'approve', recommendation_id: Number(fx.recommendationIds[0]), reason: 'crews available' });
  await pause(30);
  await decide(operatorA, { action: 'reject', recommendation_id: Number(fx.recommendationIds[1]), reason: 'wrong area, "north" <b>side</b>\nsee radio log' });
  await pause(30);
  // An escalation as the scan writes it (a notification at a higher tier), then resolve.
  await sql`update public.alerts set severity = 'critical', notified_severity = 'critical', notify_count = notify_count + 1, state = 'firing' where id = ${fx.alertId}`;
  await decide(operatorA, { action: 'resolve', alert_id: Number(fx.alertId), reason: 'area cleared' });
  const fxB = await alertWithRecommendations(sql, b.id, 1);
  await decide(operatorB, { action: 'reject', recommendation_id: Number(fxB.recommendationIds[0]), reason: 'org B reason' });
});
afterAll(async () => {
  await sql.end();
  await fs.rm(dir, { recursive: true, force: true });
});

type Row = Record<(typeof CSV_COLUMNS)[number], string>;
const parseCsv = (text: string): Row[] => parse(text, { columns: true, record_delimiter: '\r\n' }) as Row[];
const period = () => parsePeriod(started, new Date(Date.now() + 60_000).toISOString());

async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { apiUrl, anonKey } = inject('stack');
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/export/cli.ts', ...args], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SUPABASE_URL: apiUrl, SUPABASE_ANON_KEY: anonKey, SUPABASE_SERVICE_ROLE_KEY: '', HOTWATCH_ACCESS_TOKEN: viewerToken, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('after-action export', () => {
  it('the CSV round-trips the decisions audit exactly: who, when, decision, reason', async () => {
    const p = period();
    const csv = toCsv(await fetchAfterAction(operatorA, { orgId: a.id, period: p }));
    expect(csv.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    const decisions = parseCsv(csv).filter((r) => r.section === 'decision');
    // The decisions audit as an admin reads it over REST (audit_log is admins-only).
    const { data: audit, error } = await adminA.from('audit_log').select('actor, at, action, target_type, target_id, after')
      .eq('org_id', a.id).in('action', ['approve', 'reject', 'acknowledge', 'resolve']).gte('at', p.from).lt('at', p.to).order('id');
    expect(error).toBeNull();
    expect(audit).toHaveLength(4); // approve, its acknowledge, reject, resolve
    const fromAudit = audit!.map((x) => ({
      who: x.actor, when: x.at, decision: x.action,
      reason: (x.after as { decision_reason?: string; reason?: string }).decision_reason ?? (x.after as { reason?: string }).reason ?? '',
      target: `${x.target_type}:${x.target_id}`,
    }));
    const fromCsv = decisions.map((r) => ({
      who: r.actor_id, when: r.at, decision: r.event, reason: r.reason,
      target: r.recommendation_id ? `recommendation:${r.recommendation_id}` : `alert:${r.alert_id}`,
    }));
    expect(fromCsv).toEqual(fromAudit);
    expect(decisions.map((r) => Number(r.id)).sort((x, y) => x - y)).toEqual(expect.arrayContaining(decisionIds.slice(0, 3)));
    expect(decisions.every((r) => r.actor === a.operator.email)).toBe(true);
    expect(fromCsv.find((d) => d.decision === 'reject')!.reason).toBe('wrong area, "north" <b>side</b>\nsee radio log');
  });

  it('the alert lifecycle says who and when: opened and fired by the scan, escalated, acknowledged and resolved by the operator', async () => {
    const rows = parseCsv(toCsv(await fetchAfterAction(viewerA, { orgId: a.id, period: period() })))
      .filter((r) => r.section === 'alert_event' && r.alert_id === lifecycleAlert);
    expect(rows.map((r) => [r.event, r.actor_id, r.severity])).toEqual([
      ['opened', '', 'high'], ['fired', '', 'high'],
      ['acknowledged', a.operator.id, 'high'], ['escalated', '', 'critical'], ['resolved', a.operator.id, 'critical'],
    ]);
    const [alert] = await sql`select acknowledged_at, resolved_at from public.alerts where id = ${lifecycleAlert}`;
    expect(Date.parse(rows[2]!.at)).toBe((alert!.acknowledged_at as Date).getTime());
    expect(Date.parse(rows[4]!.at)).toBe((alert!.resolved_at as Date).getTime());
  });

  it('a viewer exports (CLI, their access token) only their org\'s rows; another org is refused', async () => {
    const out = path.join(dir, 'viewer.csv');
    const p = period();
    const r = await runCli(['--org', a.id, '--from', p.from, '--to', p.to, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exported 1 hotspot, 1 alert, 5 lifecycle steps, 2 recommendations, 4 decisions \(as the token's user\)/);
    const rows = parseCsv(await fs.readFile(out, 'utf8'));
    const bIds = await sql`select 'hotspot' as s, id::text from public.hotspots where org_id = ${b.id}
                           union all select 'alert', id::text from public.alerts where org_id = ${b.id}
                           union all select 'recommendation', id::text from public.recommendations where org_id = ${b.id}
                           union all select 'decision', id::text from public.decisions where org_id = ${b.id}`;
    expect(bIds.length).toBeGreaterThanOrEqual(4);
    const aIds = new Set(rows.map((x) => `${x.section}:${x.id}`));
    for (const x of bIds) expect(aIds.has(`${x.s}:${x.id}`)).toBe(false);
    expect(rows.some((x) => x.reason === 'org B reason')).toBe(false);
    const [counts] = await sql`select (select count(*) from public.decisions where org_id = ${a.id})::int as decisions,
                                      (select count(*) from public.recommendations where org_id = ${a.id})::int as recs`;
    expect(rows.filter((x) => x.section === 'decision')).toHaveLength(counts!.decisions);
    expect(rows.filter((x) => x.section === 'recommendation')).toHaveLength(counts!.recs);

    const other = await runCli(['--org', b.id, '--from', p.from, '--to', p.to, '--out', path.join(dir, 'other.csv')]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/no organisation .* that you may read/);
    await expect(fs.access(path.join(dir, 'other.csv'))).rejects.toThrow();
  });

  it('with the service key (no token) the CLI reads the org\'s rows and says so', async () => {
    const p = period();
    const r = await runCli(['--org', a.id, '--from', p.from, '--to', p.to], { HOTWATCH_ACCESS_TOKEN: '', SUPABASE_SERVICE_ROLE_KEY: inject('stack').serviceRoleKey });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exported 1 hotspot, 1 alert, 5 lifecycle steps, 2 recommendations, 4 decisions \(with the service key\)/);
    const rows = parseCsv(r.stdout); // no --out: standard output
    expect(rows.filter((x) => x.section === 'decision').map((x) => x.event)).toEqual(['approve', 'acknowledge', 'reject', 'resolve']);
    expect(rows.some((x) => x.reason === 'org B reason')).toBe(false);
  });

  it('honours the period bounds: from included, to excluded', async () => {
    const { data } = await operatorA.from('decisions').select('id, created_at, action').eq('org_id', a.id).order('id');
    const reject = data!.find((d) => d.action === 'reject')!;
    const resolve = data!.find((d) => d.action === 'resolve')!;
    // From the rejection (included) to the resolution (excluded): the rejection only.
    const p = parsePeriod(new Date(Date.parse(reject.created_at)).toISOString(), new Date(Date.parse(resolve.created_at)).toISOString());
    const inside = await fetchAfterAction(operatorA, { orgId: a.id, period: p });
    expect(inside.decisions.map((d) => d.id)).toEqual([Number(reject.id)]);
    expect(inside.recommendations.map((x) => x.status)).toEqual(['rejected']);
    const events = inside.alertEvents.map((e) => e.event);
    expect(events).toEqual(['escalated']);
    // A period before anything happened holds nothing of what the test made.
    const before = await fetchAfterAction(operatorA, { orgId: a.id, period: parsePeriod('2020-01-01', '2020-02-01') });
    expect([before.hotspots, before.alerts, before.alertEvents, before.recommendations, before.decisions].map((x) => x.length)).toEqual([0, 0, 0, 0, 0]);
  });

  it('the CLI writes the printable HTML report with every value escaped', async () => {
    const out = path.join(dir, 'report.html');
    const p = period();
    const r = await runCli(['--org', a.id, '--from', p.from, '--to', p.to, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = await fs.readFile(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('@media print');
    expect(html).toContain('wrong area, &quot;north&quot; &lt;b&gt;side&lt;/b&gt;');
    expect(html).not.toContain('<b>side</b>');
    expect(html).toContain(`After-action report: Test ${a.slug}`);
  });

  it('bad arguments exit 2 with a clear message and write nothing', async () => {
    const out = path.join(dir, 'bad.csv');
    const cases: Array<[string[], RegExp]> = [
      [['--org', a.id, '--from', '2026-12-01', '--out', out], /--from <ISO> and --to <ISO> are required/],
      [['--org', 'northside', '--from', '2026-12-01', '--to', '2026-12-02'], /--org <org id> \(a uuid\) is required/],
      [['--org', a.id, '--from', 'yesterday', '--to', '2026-12-02'], /from must be an ISO 8601 date/],
      [['--org', a.id, '--from', '2026-12-02', '--to', '2026-12-01'], /to must be after from/],
      [['--org', a.id, '--from', '2026-12-01', '--to', '2026-12-02', '--format', 'pdf'], /--format must be csv or html/],
      [['--org', a.id, '--from', '2026-12-01', '--to', '2026-12-02', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: npm run export');
    }
    await expect(fs.access(out)).rejects.toThrow();
    // A hosted project without any key is refused before anything is read.
    const noKey = await runCli(['--org', a.id, '--from', '2026-12-01', '--to', '2026-12-02'], { HOTWATCH_ACCESS_TOKEN: '', SUPABASE_SERVICE_ROLE_KEY: '' });
    expect(noKey.code).toBe(2);
  });
});
