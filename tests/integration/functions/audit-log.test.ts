/**
 * public.audit_log and the shared audit helper: a decision's audit rows are written in
 * its transaction (one per change, none for a refused decision, none when the
 * transaction rolls back); admins read their org's rows over REST and nobody else
 * does; nobody writes, updates or deletes them from outside the functions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../../../functions/_shared/audit.ts';
import { callerFromRequest } from '../../../functions/_shared/auth-claims.ts';
import { createDecisionsHandler } from '../../../functions/decisions/handler.ts';
import { adminSql, asRole } from '../../support/db.ts';
import { call, jsonRequest } from '../../support/functions.ts';
import { closeClients } from '../../support/hardening.ts';
import { anonClient, createTenant, serviceClient, type Tenant } from '../security/support.ts';
import { alertWithRecommendations } from './stream-fixture.ts';

const sql = adminSql(12);
const handler = createDecisionsHandler({ sql, report: (e) => console.error('DECISIONS', e) });
const decide = (body: unknown, token: string) => call(handler, jsonRequest('http://local/functions/v1/decisions', body, token));
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await createTenant(sql, 'audit-a');
  b = await createTenant(sql, 'audit-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

const auditOf = (orgId: string, targetType: string, targetId: string) => sql`
  select actor, action, target_type, target_id, before, after from public.audit_log
   where org_id = ${orgId} and target_type = ${targetType} and target_id = ${targetId} order by id`;

describe('audit_log', () => {
  it('approve writes the recommendation and the alert it acknowledged, by the operator, in the decision transaction', async () => {
    const fx = await alertWithRecommendations(sql, a.id);
    const rec = fx.recommendationIds[0]!;
    const r = await decide({ action: 'approve', recommendation_id: rec, reason: 'crews available' }, a.members.operator.token);
    expect(r.status).toBe(200);
    expect(await auditOf(a.id, 'recommendation', rec)).toEqual([{
      actor: a.members.operator.userId, action: 'approve', target_type: 'recommendation', target_id: rec,
      before: { status: 'pending' }, after: { status: 'approved', decision_reason: 'crews available' },
    }]);
    expect(await auditOf(a.id, 'alert', fx.alertId)).toEqual([expect.objectContaining({
      actor: a.members.operator.userId, action: 'acknowledge', before: { state: 'firing' }, after: { state: 'acknowledged', reason: `approved recommendation ${rec}` },
    })]);
  });

  it('reject writes one row; a refused (409) decision writes none', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 1);
    const rec = fx.recommendationIds[0]!;
    expect((await decide({ action: 'reject', recommendation_id: rec, reason: 'wrong area' }, a.members.admin.token)).status).toBe(200);
    expect((await decide({ action: 'approve', recommendation_id: rec }, a.members.operator.token)).status).toBe(409);
    expect(await auditOf(a.id, 'recommendation', rec)).toEqual([expect.objectContaining({
      actor: a.members.admin.userId, action: 'reject', before: { status: 'pending' }, after: { status: 'rejected', decision_reason: 'wrong area' },
    })]);
    expect(await auditOf(a.id, 'alert', fx.alertId)).toEqual([]); // rejecting leaves the alert alone
  });

  it('concurrent approvals: one winner, one audit row', async () => {
    const fx = await alertWithRecommendations(sql, a.id, 1);
    const rec = fx.recommendationIds[0]!;
    const all = await Promise.all(Array.from({ length: 10 }, () => decide({ action: 'approve', recommendation_id: rec }, a.members.operator.token)));
    expect(all.filter((x) => x.status === 200)).toHaveLength(1);
    expect(await auditOf(a.id, 'recommendation', rec)).toHaveLength(1);
  });

  it('the helper writes inside the caller\'s transaction: a rollback takes the audit row with it', async () => {
    const caller = callerFromRequest(new Request('http://x', { headers: { authorization: `Bearer ${a.members.admin.token}` } }));
    const target = `rollback-${Date.now()}`;
    await expect(sql.begin(async (tx) => {
      await writeAudit(tx, caller, { orgId: a.id, action: 'test', targetType: 'test', targetId: target, before: null, after: { x: 1 } });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect(await auditOf(a.id, 'test', target)).toEqual([]);
    await sql.begin((tx) => writeAudit(tx, caller, { orgId: a.id, action: 'test', targetType: 'test', targetId: target, before: null, after: { x: 1 } }));
    expect(await auditOf(a.id, 'test', target)).toEqual([expect.objectContaining({ actor: a.members.admin.userId, after: { x: 1 }, before: null })]);
  });

  it('admins read their org\'s rows over REST; operators, viewers, other orgs and anon read none', async () => {
    await alertWithRecommendations(sql, b.id, 1).then((fx) =>
      decide({ action: 'approve', recommendation_id: fx.recommendationIds[0]! }, b.members.operator.token));
    const orgsSeen = async (client: ReturnType<typeof anonClient>): Promise<string[]> => {
      const { data, error } = await client.from('audit_log').select('org_id').in('org_id', [a.id, b.id]);
      expect(error).toBeNull();
      return [...new Set((data ?? []).map((r: { org_id: string }) => r.org_id))].sort();
    };
    expect(await orgsSeen(a.members.admin.client)).toEqual([a.id]);
    expect(await orgsSeen(b.members.admin.client)).toEqual([b.id]);
    expect(await orgsSeen(a.members.operator.client)).toEqual([]);
    expect(await orgsSeen(a.members.viewer.client)).toEqual([]);
    expect(await orgsSeen(anonClient())).toEqual([]);
    // The service role reads everything (it bypasses RLS), as on Supabase.
    expect(await orgsSeen(serviceClient())).toEqual([a.id, b.id].sort());
  });

  it('nobody writes, updates or deletes audit rows from outside the functions', async () => {
    const row = { org_id: a.id, action: 'forged', target_type: 'x', target_id: '1' };
    const ins = await a.members.admin.client.from('audit_log').insert(row);
    expect(ins.error?.code).toBe('42501');
    for (const client of [a.members.admin.client, serviceClient()]) {
      const upd = await client.from('audit_log').update({ action: 'edited' }).eq('org_id', a.id);
      expect(upd.error?.code).toBe('42501');
      const del = await client.from('audit_log').delete().eq('org_id', a.id);
      expect(del.error?.code).toBe('42501');
    }
    await expect(asRole(sql, 'service_role', {}, (tx) => tx`update public.audit_log set action = 'edited' where org_id = ${a.id}`))
      .rejects.toThrow(/permission denied/);
    await expect(sql.begin((tx) => tx`delete from public.audit_log where org_id = ${a.id}`)).rejects.toThrow(/never deleted/);
    await expect(sql.begin((tx) => tx`update public.audit_log set action = 'edited' where org_id = ${a.id}`)).rejects.toThrow(/never deleted/);
    expect((await sql`select count(*)::int as n from public.audit_log where org_id = ${a.id} and action in ('forged', 'edited')`)[0]!.n).toBe(0);
  });
});
