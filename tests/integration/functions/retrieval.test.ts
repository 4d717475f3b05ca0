import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chosen, evaluate } from '../../../bench/retrieval-eval.ts';
import { queryFromAlert, queryFromText } from '../../../functions/hotspot-scan/rules/retrieval-query.ts';
import { searchPlaybooks } from '../../../functions/hotspot-scan/store/playbooks.ts';
import { adminSql, asRole } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';

const sql = adminSql();
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  a = await createTestOrg(sql, 'retr-a');
  b = await createTestOrg(sql, 'retr-b');
  await sql`insert into public.playbooks (org_id, slug, title, category, tags, severities, summary, body, steps)
            values (${a.id}, 'harbour-fire-drill', 'Harbour warehouse fire plan for pier district', 'fire', '{warehouse,pier}',
                    '{low,medium,high,critical}', 'Org A''s own plan.', 'Pier warehouse fires: close the pier, call the fireboat.', '["Call the fireboat."]')`;
});
afterAll(() => sql.end());

describe('playbook retrieval (public.match_playbooks)', () => {
  it('the seeded knowledge base has ≥ 30 global playbooks over ≥ 6 categories', async () => {
    const [r] = await sql`select count(*)::int as n, count(distinct category)::int as c from public.playbooks where org_id is null`;
    expect(r!.n).toBeGreaterThanOrEqual(30);
    expect(r!.c).toBeGreaterThanOrEqual(6);
  });

  it('keeps recall@3 ≥ 0.9 on the labelled queries and answers nothing for the negatives', async () => {
    const e = await evaluate(sql, chosen);
    expect(e.recallAt3).toBeGreaterThanOrEqual(0.9);
    expect(e.negativeAbstention).toBe(1);
  });

  it('filters by category and severity for alerts', async () => {
    const q = queryFromAlert({ orgId: null, category: 'flood', severity: 'critical', tags: ['escalating', 'widespread'], description: 'Critical-severity flooding cluster.' });
    const m = await searchPlaybooks(sql, q, 10);
    expect(m.length).toBeGreaterThan(0);
    expect(m.every((x) => x.category === 'flood')).toBe(true);
    expect(m[0]!.slug).toBe('flood-surge-escalation');
    const none = await searchPlaybooks(sql, { ...q, category: 'noise' });
    expect(none).toEqual([]);
  });

  it("searches an org's own playbooks only for that org", async () => {
    const q = queryFromText('pier warehouse fire fireboat');
    expect((await searchPlaybooks(sql, { ...q, orgId: a.id })).map((m) => m.slug)).toContain('harbour-fire-drill');
    expect((await searchPlaybooks(sql, { ...q, orgId: b.id })).map((m) => m.slug)).not.toContain('harbour-fire-drill');
    // security invoker: a member of B calling it directly (PostgREST rpc) cannot see A's playbook either.
    const rows = await asRole(sql, 'authenticated', b.operatorClaims,
      (tx) => tx`select slug from public.match_playbooks(${q.text}, null, null, '{}', ${a.id}::uuid, 10)`);
    expect(rows.map((r) => r.slug)).not.toContain('harbour-fire-drill');
  });
});
