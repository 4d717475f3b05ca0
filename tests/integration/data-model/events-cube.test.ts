import { latLngToCell, cellToParent } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';

const sql = adminSql(10);
let org: TestOrg;
beforeAll(async () => { org = await createTestOrg(sql, 'cube'); });
afterAll(() => sql.end());

interface EventRow { external_id: string; category: string; occurred_at: string; lat: number; lng: number; weight: number; h3_cell: string }

function makeEvents(ids: number[], seed: number): EventRow[] {
  return ids.map((i) => {
    const lat = 37.70 + ((i * 7919 + seed) % 1000) / 10_000;
    const lng = -122.50 + ((i * 104_729) % 1000) / 10_000;
    return {
      external_id: `e-${i}`,
      category: i % 3 === 0 ? 'fire' : 'traffic',
      occurred_at: new Date(Date.UTC(2026, 10, 20, i % 24, (i * 13) % 60)).toISOString(),
      lat, lng, weight: 1 + (i % 4),
      h3_cell: latLngToCell(lat, lng, 9),
    };
  });
}

/** One batch as ingest does it: insert … select from unnest(…) on conflict do nothing. */
async function insertBatch(orgId: string, rows: EventRow[]): Promise<number> {
  const res = await sql`
    insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, weight, h3_cell)
    select ${orgId}, 'test', * from unnest(
      ${rows.map((r) => r.external_id)}::text[], ${rows.map((r) => r.category)}::text[],
      ${rows.map((r) => r.occurred_at)}::timestamptz[], ${rows.map((r) => r.lat)}::float8[],
      ${rows.map((r) => r.lng)}::float8[], ${rows.map((r) => r.weight)}::real[], ${rows.map((r) => r.h3_cell)}::text[])
    on conflict (org_id, source, external_id) do nothing`;
  return res.count;
}

describe('events and the count cube', () => {
  it('h3_cell_to_parent in SQL equals h3-js cellToParent', async () => {
    const cells = Array.from({ length: 200 }, (_, i) => latLngToCell(-60 + i * 0.6, -170 + i * 1.7, 9));
    const rows = await sql<{ cell: string; p8: string; p5: string; r: number }[]>`
      select c as cell, public.h3_cell_to_parent(c, 8) as p8, public.h3_cell_to_parent(c, 5) as p5,
             public.h3_cell_resolution(c) as r from unnest(${cells}::text[]) c`;
    for (const row of rows) {
      expect(row.p8).toBe(cellToParent(row.cell, 8));
      expect(row.p5).toBe(cellToParent(row.cell, 5));
      expect(row.r).toBe(9);
    }
  });

  it('equals a recount of events under concurrent overlapping batches', async () => {
    // 12 batches of 500 over 3,000 ids: every id appears in two batches.
    const batches = Array.from({ length: 12 }, (_, b) => makeEvents(Array.from({ length: 500 }, (_, i) => ((b * 250 + i) % 3000)), 1));
    const accepted = (await Promise.all(batches.map((rows) => insertBatch(org.id, rows)))).reduce((s, n) => s + n, 0);
    expect(accepted).toBe(3000);
    const diff = await sql`
      with recount as (
        select org_id, category, public.h3_cell_to_parent(h3_cell, 8) as cell,
               date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
               count(*)::int as n, sum(weight)::float8 as w
          from public.events where org_id = ${org.id} group by 1, 2, 3, 4)
      select * from recount r full join (select * from public.count_cube where org_id = ${org.id}) c
        using (org_id, category, cell, bucket)
       where r.n is distinct from c.n or abs(coalesce(r.w, 0) - coalesce(c.weight_sum, 0)) > 1e-6`;
    expect(diff).toEqual([]);
  });

  it('rejects bad rows with clear errors and writes nothing', async () => {
    // Count only the orgs written to here: other files insert events in parallel.
    const DEAD = '00000000-0000-4000-8000-00000000dead';
    const footprint = () => sql<{ n: number }[]>`
      select (select count(*) from public.events where org_id in (${org.id}, ${DEAD}))::int
           + (select coalesce(sum(n), 0) from public.count_cube where org_id in (${org.id}, ${DEAD}))::int as n`;
    const before = await footprint();
    const good = makeEvents([9001], 2);
    const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['lat 91', () => insertBatch(org.id, [...good, { ...makeEvents([9002], 2)[0]!, lat: 91 }]), /events_lat_check/],
      ['unknown org', () => insertBatch(DEAD, good), /events_org_id_fkey/],
      ['bad cell', () => insertBatch(org.id, [{ ...good[0]!, h3_cell: cellToParent(good[0]!.h3_cell, 7) }]), /events_h3_cell_check/],
      ['duplicate external id', () => sql.begin(async (tx) => {
        await tx`insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
                 values (${org.id}, 'dup', 'x', 'fire', now(), 1, 1, ${good[0]!.h3_cell})`;
        await tx`insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
                 values (${org.id}, 'dup', 'x', 'fire', now(), 1, 1, ${good[0]!.h3_cell})`;
      }), /events_org_source_external_id_key/],
    ];
    for (const [name, run, err] of cases) await expect(run(), name).rejects.toThrow(err);
    const after = await footprint();
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('the category and h3_cell CHECKs accept exactly what their counted-repetition patterns did', async () => {
    // The constraints were rewritten for speed (`*` plus a length check); these are the old rules.
    const category = /^[a-z][a-z0-9_]{0,62}$/;
    const cell = /^89[0-9a-f]{13}$/;
    const good = makeEvents([9101], 3)[0]!;
    const categories = ['a', 'fire', 'a_9', 'a'.repeat(63), 'a'.repeat(64), '', '9a', '_a', 'Fire', 'fire\n', 'firé', 'fi re', 'a'.repeat(62) + 'é'];
    const cells = [good.h3_cell, `89${'0'.repeat(13)}`, `89${'f'.repeat(12)}`, `89${'f'.repeat(14)}`, `88${'f'.repeat(13)}`,
      `89${'F'.repeat(13)}`, `89${'f'.repeat(12)}\n`, `89${'f'.repeat(11)}é`, `89${'g'.repeat(13)}`];
    // Each row in a transaction of its own that is always rolled back: nothing is written.
    const ROLLBACK = new Error('rollback');
    const accepted = async (row: EventRow): Promise<boolean> => {
      let ok = false;
      await sql.begin(async (tx) => {
        await tx`insert into public.events (org_id, source, external_id, category, occurred_at, lat, lng, h3_cell)
                 values (${org.id}, 'checks', ${row.external_id}, ${row.category}, now(), 1, 1, ${row.h3_cell})`
          .then(() => { ok = true; }, (e: unknown) => { expect(String(e)).toMatch(/events_(category|h3_cell)_check/); });
        throw ROLLBACK;
      }).catch((e: unknown) => { if (e !== ROLLBACK) throw e; });
      return ok;
    };
    for (const c of categories) expect(await accepted({ ...good, category: c }), JSON.stringify(c)).toBe(category.test(c));
    for (const h of cells) expect(await accepted({ ...good, h3_cell: h }), JSON.stringify(h)).toBe(cell.test(h));
  });

  it('accepted events are immutable', async () => {
    const [e] = await sql<{ id: string }[]>`select id from public.events where org_id = ${org.id} limit 1`;
    await expect(sql`update public.events set weight = 99 where id = ${e!.id}`).rejects.toThrow(/immutable/);
  });
});
