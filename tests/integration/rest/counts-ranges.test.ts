import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { client, rest, uniqueName } from './helpers.ts';

// count=exact|planned|estimated with Content-Range, 206/416, HEAD, limit/offset and the
// Range header, and db-max-rows = 1000 applied silently to table and SETOF-rpc reads.

const sql = adminSql();
const small = uniqueName('rest_cnt');
const big = uniqueName('rest_big');
const setof = uniqueName('rest_setof');

beforeAll(async () => {
  await sql.unsafe(`
    create table public.${small} (id int primary key, g text);
    insert into public.${small} select i, case when i % 2 = 0 then 'even' else 'odd' end from generate_series(1, 5) i;
    create table public.${big} (id int primary key);
    insert into public.${big} select generate_series(1, 1500);
    analyze public.${big};
    create function public.${setof}() returns setof public.${big} language sql stable as $$ select * from public.${big} order by id $$;`);
});
afterAll(async () => {
  await sql.unsafe(`drop function if exists public.${setof}(); drop table if exists public.${small}, public.${big}`);
  await sql.end();
});

describe('counts and ranges', () => {
  it('count=exact on a full read answers 200 with the total', async () => {
    const { data, count, status } = await client().from(small).select('id', { count: 'exact' });
    expect(status).toBe(200);
    expect(count).toBe(5);
    expect(data).toHaveLength(5);
    const r = await rest(`/${small}?select=id`, { headers: { Prefer: 'count=exact' } });
    expect(r.headers.get('content-range')).toBe('0-4/5');
    expect(r.headers.get('preference-applied')).toBe('count=exact');
  });

  it('a partial page with a count answers 206 with lo-hi/total', async () => {
    const { count, status, data } = await client().from(small).select('id', { count: 'exact' }).order('id').range(1, 2);
    expect(status).toBe(206);
    expect(count).toBe(5);
    expect(data).toEqual([{ id: 2 }, { id: 3 }]);
    const r = await rest(`/${small}?select=id&order=id&offset=1&limit=2`, { headers: { Prefer: 'count=exact' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('1-2/5');
  });

  it('without a count the range is open-ended (lo-hi/*) and the status 200', async () => {
    const r = await rest(`/${small}?select=id&order=id&limit=2`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-range')).toBe('0-1/*');
    const empty = await rest(`/${small}?select=id&id=gt.100`);
    expect(empty.headers.get('content-range')).toBe('*/*');
    const emptyCounted = await rest(`/${small}?select=id&id=gt.100`, { headers: { Prefer: 'count=exact' } });
    expect(emptyCounted.status).toBe(200);
    expect(emptyCounted.headers.get('content-range')).toBe('*/0');
  });

  it('an offset past the end answers 416 PGRST103 with the row count', async () => {
    const { error, status } = await client().from(small).select('id', { count: 'exact' }).range(10, 12);
    expect(status).toBe(416);
    expect(error).toEqual({
      code: 'PGRST103', details: 'An offset of 10 was requested, but there are only 5 rows.', hint: null, message: 'Requested range not satisfiable',
    });
    const r = await rest(`/${small}?select=id&offset=10`, { headers: { Prefer: 'count=exact' } });
    expect(r.headers.get('content-range')).toBe('*/5');
  });

  it('the Range request header (and Range-Unit) bounds a GET, open-ended too', async () => {
    const r = await rest(`/${small}?select=id&order=id`, { headers: { Range: '1-2', 'Range-Unit': 'items' } });
    expect(r.json).toEqual([{ id: 2 }, { id: 3 }]);
    expect(r.headers.get('content-range')).toBe('1-2/*');
    const open = await rest(`/${small}?select=id&order=id`, { headers: { Range: '3-' } });
    expect(open.json).toEqual([{ id: 4 }, { id: 5 }]);
    const both = await rest(`/${small}?select=id&order=id&limit=2`, { headers: { Range: '1-3' } });
    expect(both.json).toEqual([{ id: 2 }]);
    // A limit/offset that does not meet the Range is refused as PostgREST refuses it.
    const disjoint = await rest(`/${small}?select=id&limit=1`, { headers: { Range: '1-3' } });
    expect(disjoint.status).toBe(416);
    expect(disjoint.json).toMatchObject({ code: 'PGRST103', details: 'Limit should be greater than or equal to zero.' });
  });

  it('invalid ranges answer 416 PGRST103 with PostgREST details', async () => {
    const inverted = await rest(`/${small}?select=id`, { headers: { Range: '3-1' } });
    expect(inverted.status).toBe(416);
    expect(inverted.json).toMatchObject({ code: 'PGRST103', details: 'The lower boundary must be lower than or equal to the upper boundary in the Range header.' });
    const negative = await rest(`/${small}?select=id&limit=-1`);
    expect(negative.status).toBe(416);
    expect(negative.json).toMatchObject({ code: 'PGRST103', details: 'Limit should be greater than or equal to zero.' });
  });

  it('limit=0 returns no rows but still counts', async () => {
    const r = await rest(`/${small}?select=id&limit=0`, { headers: { Prefer: 'count=exact' } });
    expect(r.json).toEqual([]);
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('*/5');
  });

  it('HEAD answers headers only: count=exact 200 with the count, count=planned 206 from EXPLAIN', async () => {
    const exact = await client().from(small).select('*', { count: 'exact', head: true });
    expect(exact.status).toBe(200);
    expect(exact.count).toBe(5);
    expect(exact.data).toBeNull();
    const planned = await client().from(big).select('*', { count: 'planned', head: true }).limit(10);
    expect(planned.status).toBe(206);
    expect(planned.count).toBeGreaterThan(1000);
    const raw = await rest(`/${small}?select=id`, { method: 'HEAD', headers: { Prefer: 'count=exact' } });
    expect(raw.text).toBe('');
    expect(raw.headers.get('content-range')).toBe('0-4/5');
    expect(raw.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('count=estimated is exact up to db-max-rows and the planner estimate beyond', async () => {
    const few = await client().from(small).select('id', { count: 'estimated' });
    expect(few.count).toBe(5);
    const many = await client().from(big).select('id', { count: 'estimated' }).limit(5);
    expect(many.count).toBeGreaterThanOrEqual(1001);
    expect(many.status).toBe(206);
  });

  it('reads are capped at db-max-rows = 1000, silently', async () => {
    const { data, error, count, status } = await client().from(big).select('id', { count: 'exact' }).order('id');
    expect(error).toBeNull();
    expect(data).toHaveLength(1000);
    expect(count).toBe(1500);
    expect(status).toBe(206);
    const r = await rest(`/${big}?select=id&order=id&limit=5000`);
    expect((r.json as unknown[]).length).toBe(1000);
    expect(r.headers.get('content-range')).toBe('0-999/*');
    const tail = await rest(`/${big}?select=id&order=id&offset=1200`);
    expect((tail.json as unknown[]).length).toBe(300);
    expect(tail.headers.get('content-range')).toBe('1200-1499/*');
  });

  it('SETOF rpc reads are capped at 1000 too and take filters, order, limit and count', async () => {
    const all = await client().rpc(setof);
    expect((all.data as unknown[]).length).toBe(1000);
    const some = await client().rpc(setof, {}, { count: 'exact' }).gt('id', 1490).order('id', { ascending: false }).limit(3);
    expect(some.data).toEqual([{ id: 1500 }, { id: 1499 }, { id: 1498 }]);
    expect(some.count).toBe(10);
    expect(some.status).toBe(206);
    const head = await client().rpc(setof, {}, { head: true, count: 'exact', get: true });
    expect(head.status).toBe(206);
    expect(head.count).toBe(1500);
    expect(head.data).toBeNull();
  });

  it('Content-Location carries the canonical (sorted) query', async () => {
    const r = await rest(`/${small}?select=id&order=id&id=gt.1`);
    expect(r.headers.get('content-location')).toBe(`/${small}?id=gt.1&order=id&select=id`);
  });
});
