import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionsHandler } from '../../../functions/decisions/handler.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { anonToken, call, jsonRequest, serviceToken, userToken } from '../../support/functions.ts';
import { alertWithRecommendations } from './stream-fixture.ts';

const sql = adminSql(12);
const handler = createDecisionsHandler({ sql, report: (e) => console.error('DECISIONS', e) });
const URL_ = 'http://local/functions/v1/decisions';
let a: TestOrg;
let b: TestOrg;
let opA: string;
let viewerA: string;
let opB: string;
let adminA: string;

beforeAll(async () => {
  a = await createTestOrg(sql, 'dec-a');
  b = await createTestOrg(sql, 'dec-b');
  opA = await userToken(a.operator.id, { [a.id]: 'operator' });
  viewerA = await userToken(a.viewer.id, { [a.id]: 'viewer' });
  opB = await userToken(b.operator.id, { [b.id]: 'operator' });
  const adminId = a.viewer.id; // reuse a real auth.users row; the role comes from the token
  adminA = await userToken(adminId, { [a.id]: 'admin' });
});
afterAll(() => sql.end());

const decide = (body: unknown, token?: string) => call(handler, jsonRequest(URL_, body, token));

describe('decisions', () => {
  it('approve: pending → approved, audited, and acknowledges the alert', async () => {
    const fx = await alertWithRecommendations(sql, a.id);
    const r = await decide({ action: 'approve', recommendation_id: Number(fx.recommendationIds[0]), reason: 'crews available' }, opA);
    expect(r.status).toBe(200);
    expect(r.body.recommendation).toMatchObject({ status: 'approved', decided_by: a.operator.id, decision_reason: 'crews available' });
    expect(r.body.alert).toMatchObject({ state: 'acknowledged', acknowledged_by: a.operator.id });
    const audit = await sql`select action, from_status, to_status, actor, recommendation_id, alert_id from public.decisions where alert_id = ${fx.alertId} order by id`;
    expect(audit).toEqual([
      expect.objectContaining({ action: 'approve', from_status: 'pending', to_status: 'approved', actor: a.operator.id, recommendation_id: fx.recommendationIds[0] }),
      expect.objectContaining({ action: 'acknowledge', from_status: 'firing', to_status: 'acknowledged', recommendation_id: null }),
    ]);
    // the other recommendation stays decidable; approving it does not re-acknowledge.
    const r2 = await decide({ action: 'approve', recommendation_id: fx.recommendationIds[1] }, adminA);
    expect(r2.status).toBe(200);
    expect(r2.body.alert).toBeNull();
  });

  it('reject needs a reason; a second or conflicting decision is 409 with the current state', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 1);
    const id = fx.recommendationIds[0]!;
    const noReason = await decide({ action: 'reject', recommendation_id: id }, opA);
    expect(noReason).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', errors: [{ path: 'reason' }] } } });
    const blank = await decide({ action: 'reject', recommendation_id: id, reason: '   ' }, opA);
    expect(blank.status).toBe(400);
    expect((await decide({ action: 'reject', recommendation_id: id, reason: 'wrong area' }, opA)).body.recommendation.status).toBe('rejected');
    const again = await decide({ action: 'approve', recommendation_id: id }, opA);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'conflict', current: { status: 'rejected', decision_reason: 'wrong area' } } } });
    const [alert] = await sql`select state from public.alerts where id = ${fx.alertId}`;
    expect(alert!.state).toBe('firing'); // rejecting does not touch the alert
  });

  it('50 concurrent decisions on one recommendation: exactly one wins, 49 × 409, one audit row', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 1);
    const id = fx.recommendationIds[0]!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      decide(i % 2 ? { action: 'approve', recommendation_id: id } : { action: 'reject', recommendation_id: id, reason: `r${i}` }, opA)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(49);
    const [n] = await sql`select count(*)::int as n from public.decisions where recommendation_id = ${id}`;
    expect(n!.n).toBe(1);
  });

  it('permissions: viewer 403, other org 404, anon 401, service role 403, unknown id 404', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 1);
    const id = fx.recommendationIds[0]!;
    expect((await decide({ action: 'approve', recommendation_id: id }, viewerA)).status).toBe(403);
    expect((await decide({ action: 'approve', recommendation_id: id }, opB)).body.error.code).toBe('recommendation_not_found');
    expect((await decide({ action: 'acknowledge', alert_id: fx.alertId }, opB)).status).toBe(404);
    expect((await decide({ action: 'approve', recommendation_id: id }, await anonToken())).status).toBe(401);
    expect((await decide({ action: 'approve', recommendation_id: id })).status).toBe(401);
    expect((await decide({ action: 'approve', recommendation_id: id }, await serviceToken())).status).toBe(403);
    expect((await decide({ action: 'approve', recommendation_id: 999999999 }, opA)).status).toBe(404);
    const [row] = await sql`select status from public.recommendations where id = ${id}`;
    expect(row!.status).toBe('pending');
    const [n] = await sql`select count(*)::int as n from public.decisions where recommendation_id = ${id} or alert_id = ${fx.alertId}`;
    expect(n!.n).toBe(0);
  });

  it('validates every field', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'action'], [{ action: 'delete', recommendation_id: 1 }, 'action'], [{ action: 'approve' }, 'recommendation_id'],
      [{ action: 'approve', recommendation_id: -1 }, 'recommendation_id'], [{ action: 'approve', recommendation_id: 'abc' }, 'recommendation_id'],
      [{ action: 'approve', recommendation_id: 1.5 }, 'recommendation_id'], [{ action: 'acknowledge' }, 'alert_id'],
      [{ action: 'approve', recommendation_id: 1, reason: 5 }, 'reason'], [{ action: 'approve', recommendation_id: 1, reason: 'x'.repeat(2001) }, 'reason'],
      [{ action: 'approve', recommendation_id: 1, extra: true }, 'extra'], [{ action: 'approve', alert_id: 1 }, 'recommendation_id'],
    ];
    for (const [body, path] of cases) {
      const r = await decide(body, opA);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
  });

  it('acknowledge and resolve alerts; resolve supersedes pending recommendations; both are one-shot', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 2);
    const ack = await decide({ action: 'acknowledge', alert_id: fx.alertId }, opA);
    expect(ack).toMatchObject({ status: 200, body: { alert: { state: 'acknowledged' }, decision: { from_status: 'firing', to_status: 'acknowledged' } } });
    expect((await decide({ action: 'acknowledge', alert_id: fx.alertId }, opA))).toMatchObject({ status: 409, body: { error: { current: { state: 'acknowledged' } } } });
    const res = await decide({ action: 'resolve', alert_id: fx.alertId, reason: 'contained' }, opA);
    expect(res).toMatchObject({ status: 200, body: { alert: { state: 'resolved', resolved_by: a.operator.id }, superseded_recommendations: 2 } });
    expect((await decide({ action: 'resolve', alert_id: fx.alertId }, opA)).status).toBe(409);
    const recs = await sql`select status from public.recommendations where alert_id = ${fx.alertId}`;
    expect(recs.every((r) => r.status === 'superseded')).toBe(true);
    expect((await decide({ action: 'approve', recommendation_id: fx.recommendationIds[0] }, opA)).body.error.current.status).toBe('superseded');
  });
});
