import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { client, rest, uniqueName } from './helpers.ts';

// Every filter operator postgrest-js sends, logic trees, JSON paths, casts, aliases
// and ordering — through supabase-js where it has a builder, raw otherwise.

const sql = adminSql();
const t = uniqueName('rest_flt');

beforeAll(async () => {
  await sql.unsafe(`
    create table public.${t} (
      id int primary key, name text, n int, tags text[], data jsonb, r int4range, doc text, tsv tsvector, f float8, at timestamptz
    );
    insert into public.${t} values
      (1, 'alpha', 1, '{a,b}', '{"k":"x","arr":[10,20],"nested":{"v":1}}', '[1,5)', 'the fat cat sat', to_tsvector('english', 'the fat cat sat'), 1.5, '2024-01-01T00:00:00Z'),
      (2, 'Beta', 2, '{b}', '{"k":"y"}', '[5,10)', 'a dog barked', to_tsvector('english', 'a dog barked'), null, '2024-06-01T12:00:00Z'),
      (3, 'gamma,x', 3, '{}', null, '[10,20)', null, null, 3.25, null),
      (4, 'del"ta', null, '{c}', '{"k":"x"}', null, 'cats and dogs', to_tsvector('english', 'cats and dogs'), -1, '2025-01-01T00:00:00Z');`);
});
afterAll(async () => {
  await sql.unsafe(`drop table if exists public.${t}`);
  await sql.end();
});

const ids = (rows: unknown): number[] => (rows as Array<{ id: number }>).map((r) => r.id);

describe('filters', () => {
  const q = () => client().from(t).select('id').order('id');

  it.each([
    ['eq', () => q().eq('n', 2), [2]],
    ['neq', () => q().neq('n', 2), [1, 3]],
    ['gt', () => q().gt('n', 1), [2, 3]],
    ['gte', () => q().gte('n', 2), [2, 3]],
    ['lt', () => q().lt('n', 2), [1]],
    ['lte', () => q().lte('n', 2), [1, 2]],
    ['like with *', () => q().like('name', '*ta*'), [2, 4]],
    ['ilike', () => q().ilike('name', '%ETA'), [2]],
    ['likeAllOf', () => q().likeAllOf('name', ['%a%', '%l%']), [1, 4]],
    ['likeAnyOf', () => q().likeAnyOf('name', ['alp%', 'gam%']), [1, 3]],
    ['ilikeAllOf', () => q().ilikeAllOf('name', ['b%', '%A']), [2]],
    ['ilikeAnyOf', () => q().ilikeAnyOf('name', ['B%', 'DEL%']), [2, 4]],
    ['is null', () => q().is('n', null), [4]],
    ['not is null', () => q().not('n', 'is', null), [1, 2, 3]],
    ['is null on a float column', () => q().is('f', null), [2]],
    ['in (quoted values with comma and quote)', () => q().in('name', ['gamma,x', 'del"ta', 'alpha']), [1, 3, 4]],
    ['notIn', () => q().notIn('name', ['alpha', 'Beta']), [3, 4]],
    ['in empty list', () => q().in('n', []), []],
    ['contains array', () => q().contains('tags', ['b']), [1, 2]],
    ['containedBy array', () => q().containedBy('tags', ['a', 'b']), [1, 2, 3]],
    ['contains jsonb object', () => q().contains('data', { k: 'x' }), [1, 4]],
    ['overlaps array', () => q().overlaps('tags', ['a', 'c']), [1, 4]],
    ['rangeGt (sr)', () => q().rangeGt('r', '[0,1)'), [1, 2, 3]],
    ['rangeGte (nxl)', () => q().rangeGte('r', '[3,4)'), [2, 3]],
    ['rangeLt (sl)', () => q().rangeLt('r', '[6,7)'), [1]],
    ['rangeLte (nxr)', () => q().rangeLte('r', '[0,6)'), [1]],
    ['rangeAdjacent', () => q().rangeAdjacent('r', '[10,15)'), [2]],
    ['overlaps range', () => q().overlaps('r', '[4,6)'), [1, 2]],
    ['textSearch fts on tsvector', () => q().textSearch('tsv', 'cat'), [1, 4]],
    ['textSearch plain with config on text', () => q().textSearch('doc', 'cats', { type: 'plain', config: 'english' }), [1, 4]],
    ['textSearch phrase', () => q().textSearch('doc', 'fat cat', { type: 'phrase', config: 'english' }), [1]],
    ['textSearch websearch', () => q().textSearch('doc', 'cat -fat', { type: 'websearch', config: 'english' }), [4]],
    ['match (several eq)', () => q().match({ n: 1, name: 'alpha' }), [1]],
    ['regexMatch', () => q().regexMatch('name', '^[ab]'), [1]],
    ['regexIMatch', () => q().regexIMatch('name', '^B'), [2]],
    ['isDistinct', () => q().isDistinct('f', 1.5), [2, 3, 4]],
    ['not eq', () => q().not('n', 'eq', 1), [2, 3]],
    ['not in', () => q().not('n', 'in', '(1,2)'), [3]],
    ['or', () => q().or('n.eq.1,n.eq.3'), [1, 3]],
    ['or with nested and', () => q().or('n.eq.1,and(n.gte.3,name.like.*x)'), [1, 3]],
    ['or with in and quoted value', () => q().or('name.in.("gamma,x",alpha),id.eq.4'), [1, 3, 4]],
    ['filter (raw operator)', () => q().filter('n', 'gte', '2'), [2, 3]],
    ['json path ->> in a filter', () => q().eq('data->>k', 'x'), [1, 4]],
    ['nested json path', () => q().eq('data->nested->>v', '1'), [1]],
    ['json array index', () => q().eq('data->arr->>1', '20'), [1]],
    ['timestamptz comparison', () => q().gte('at', '2024-06-01T12:00:00+00:00'), [2, 4]],
  ])('%s', async (_name, build, expected) => {
    const { data, error } = await build();
    expect(error).toBeNull();
    expect(ids(data)).toEqual(expected);
  });

  it.each([
    ['eq(any)', 'n=eq(any).{1,3}', [1, 3]],
    ['gt(all)', 'n=gt(all).{0,1}', [2, 3]],
    ['not.eq(any)', 'n=not.eq(any).{1,2}', [3]],
    ['lte(any)', 'n=lte(any).{1}', [1]],
    ['match(any)', 'name=match(any).{^a,^g}', [1, 3]],
    ['imatch(all)', 'name=imatch(all).{a,l}', [1, 4]],
    ['not.isdistinct', 'n=not.isdistinct.2', [2]],
    ['not.and logic tree', 'not.and=(n.gte.1,n.lte.2)', [3]],
    ['and logic tree with not.or inside', 'and=(id.gt.1,not.or(n.eq.2,n.is.null))', [3]],
    ['repeated filters on one column are ANDed', 'n=gt.1&n=lt.3', [2]],
    ['+ in a value decodes to a space', 'doc=eq.a+dog+barked', [2]],
    ['JSON path in a raw filter key', 'data->>k=eq.y', [2]],
    ['case-insensitive is values', 'n=is.NULL', [4]],
    ['in with spaces and a quoted backslash', 'name=in.(alpha,"del\\"ta")', [1, 4]],
  ])('raw %s', async (_name, query, expected) => {
    const r = await rest(`/${t}?select=id&order=id&${query}`);
    expect(r.status, r.text).toBe(200);
    expect(ids(r.json)).toEqual(expected);
  });

  it('selects aliases, casts and JSON paths (auto-named by their last key)', async () => {
    const { data, error } = await client().from(t)
      .select('ident:id,name_len:n::text,data->k,data->nested->v,data->arr->0,first:data->arr->>0')
      .eq('id', 1).single();
    expect(error).toBeNull();
    expect(data).toEqual({ ident: 1, name_len: '1', k: 'x', v: 1, arr: 10, first: '10' });
  });

  it('renders column values exactly as PostgreSQL json does (ranges, tsvector, timestamptz, numerics)', async () => {
    const r = await rest(`/${t}?select=r,tsv,at,f&id=eq.1`);
    expect(JSON.parse(r.text)).toEqual([{ r: '[1,5)', tsv: "'cat':3 'fat':2 'sat':4", at: '2024-01-01T00:00:00+00:00', f: 1.5 }]);
  });

  it('orders by several columns with nulls first/last and by a JSON path', async () => {
    const a = await client().from(t).select('id').order('n', { ascending: false, nullsFirst: true });
    expect(ids(a.data)).toEqual([4, 3, 2, 1]);
    const b = await client().from(t).select('id').order('n', { ascending: true, nullsFirst: false });
    expect(ids(b.data)).toEqual([1, 2, 3, 4]);
    const c = await rest(`/${t}?select=id&order=data->>k.desc.nullslast,id.asc`);
    expect(ids(c.json)).toEqual([2, 1, 4, 3]);
    const d = await client().from(t).select('id').order('f', { ascending: true }).order('id', { ascending: false });
    expect(ids(d.data)).toEqual([4, 1, 3, 2]);
  });

  it('answers a comparison PostgreSQL cannot type with its own error', async () => {
    const { error, status } = await client().from(t).select('id').eq('n', 'abc');
    expect(status).toBe(400);
    expect(error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "abc"' });
  });

  it('reports an unknown column the way PostgreSQL does (PostgREST passes it through)', async () => {
    const r = await rest(`/${t}?select=nope`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: '42703', details: null, hint: `Perhaps you meant to reference the column "${t}.name".`, message: `column ${t}.nope does not exist` });
  });
});
