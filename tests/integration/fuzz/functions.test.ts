/**
 * Fuzzing the decisions and hotspot-scan functions through the gateway: arbitrary
 * bodies, methods and content types from every kind of caller. Invariants: never a
 * 5xx; a decision changes a row only for an operator/admin of the row's org and only
 * from an allowed state; org B is never touched; the stack still answers afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { assertAlive, createSecretOrg, footprint, orgTokens, serviceJwt, stackInfo, userJwt, type SecretOrg } from '../../support/hardening.ts';

const info = stackInfo();
const sql = adminSql(4);
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
let a: SecretOrg;
let b: SecretOrg;
let tokens: Record<string, string | undefined>;

beforeAll(async () => {
  a = await createSecretOrg(sql, 'fuzz-fn-a', { active: true });
  b = await createSecretOrg(sql, 'fuzz-fn-b', { active: true });
  const t = orgTokens(a);
  tokens = {
    viewer: t.viewer, operator: t.operator, admin: t.admin, service: serviceJwt(), anon: info.anonKey, none: undefined,
    bOperatorWithoutSub: userJwt('', { [b.id]: 'operator' }),
  };
});
afterAll(() => sql.end());

async function call(fn: string, method: string, who: string, body: string, contentType: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { apikey: info.anonKey };
  if (contentType) headers['content-type'] = contentType;
  const t = tokens[who];
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(`${info.apiUrl}/functions/v1/${fn}`, { method, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { body }) });
  return { status: res.status, text: await res.text() };
}

const ids = () => fc.oneof(
  fc.constantFrom<unknown>(b.recommendationId, b.alertId, String(b.recommendationId), a.recommendationId, a.alertId, 0, -1, 1e30, '01', '9'.repeat(30), null, '1 or 1=1', [1], { id: 1 }),
  fc.integer(),
);
const decisionBody = () => fc.oneof(
  { weight: 6, arbitrary: fc.record({
    action: fc.constantFrom<unknown>('approve', 'reject', 'acknowledge', 'resolve', 'APPROVE', 'delete', '', null, 1),
    recommendation_id: ids(), alert_id: ids(),
    reason: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom<unknown>('x'.repeat(2001), 'a\u0000b', '   ', 5, null)),
    extra: fc.anything({ maxDepth: 1 }),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]', `{"action":"approve","recommendation_id":${'9'.repeat(400)}}`, 'x'.repeat(20_000)) },
);
const scanBody = () => fc.oneof(
  { weight: 4, arbitrary: fc.record({ org_id: fc.constantFrom<unknown>(b.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000', 7, null, [b.id]),
    trigger: fc.constantFrom<unknown>('cron', 'http', 'manual', 'x', 1), extra: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.constantFrom('', '{', 'x'.repeat(5000))) },
);

describe('fuzz: decisions and hotspot-scan through the gateway', () => {
  it('decisions: arbitrary bodies, methods, content types and callers never 5xx and never touch org B', async () => {
    const before = await footprint(sql, b.id);
    const wins: string[] = [];
    await fc.assert(fc.asyncProperty(decisionBody(), fc.constantFrom(...Object.keys(tokens)), fc.constantFrom('POST', 'POST', 'POST', 'PUT', 'GET', 'DELETE', 'OPTIONS'),
      fc.constantFrom('application/json', 'text/plain', '', 'application/json; charset=utf-8'), async (body, who, method, ct) => {
        const r = await call('decisions', method, who, body, ct);
        expect(r.status, `${method} as ${who} ${body.slice(0, 200)} → ${r.text}`).toBeLessThan(500);
        if (r.status === 200 && method === 'POST') wins.push(`${who}: ${body.slice(0, 120)}`);
      }), { numRuns: RUNS });
    expect(await footprint(sql, b.id)).toEqual(before);
    // Only org A's operators and admins ever decided anything.
    expect(wins.every((w) => w.startsWith('operator') || w.startsWith('admin')), wins.join('\n')).toBe(true);
    const [d] = await sql<{ bad: number }[]>`
      select count(*)::int as bad from public.decisions where org_id = ${a.id} and actor is distinct from ${a.operator.id} and reason is distinct from ${a.secret}`;
    expect(d!.bad).toBe(0);
  });

  it('hotspot-scan: arbitrary bodies and callers never 5xx and never scan org B', async () => {
    const runs = async (): Promise<number> => {
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from public.scan_runs where org_id = ${b.id} and trigger <> 'cron'`;
      return r!.n;
    };
    const before = await runs();
    let bScansByService = 0;
    await fc.assert(fc.asyncProperty(scanBody(), fc.constantFrom(...Object.keys(tokens)), fc.constantFrom('POST', 'POST', 'GET', 'PATCH'),
      fc.constantFrom('application/json', 'text/plain', ''), async (body, who, method, ct) => {
        const r = await call('hotspot-scan', method, who, body, ct);
        expect(r.status, `${method} as ${who} ${body.slice(0, 200)} → ${r.text}`).toBeLessThan(500);
        if (r.status === 200) {
          const { org_id: org, trigger } = JSON.parse(r.text) as { org_id: string; trigger: string };
          // The service role may scan any org; a member of A never scans B. The service role may
          // also say trigger "cron", which `runs` leaves out with the schedule's own runs.
          if (org === b.id) { expect(who).toBe('service'); if (trigger !== 'cron') bScansByService++; }
        }
      }), { numRuns: Math.max(20, Math.floor(RUNS / 3)), examples: [
        [JSON.stringify({ org_id: b.id, trigger: 'cron' }), 'service', 'POST', 'application/json'],
        [JSON.stringify({ org_id: b.id, trigger: 'cron' }), 'operator', 'POST', 'application/json'],
      ] });
    expect(await runs()).toBe(before + bScansByService);
  });

  it('the stack still answers a health check and a valid decision afterwards', async () => {
    await assertAlive();
    const r = await call('decisions', 'POST', 'viewer', JSON.stringify({ action: 'acknowledge', alert_id: a.alertId }), 'application/json');
    expect(r.status).toBe(403);
  });
});
