import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sqlStateToHttp } from '../../../stack/src/rest/errors.ts';
import {
  GrammarError, MAX_NESTING, parseColumns, parseFilterValue, parseLogicTree, parseOrder, parseSelect, parseTreePath,
} from '../../../stack/src/rest/grammar.ts';
import { decodeMediaType, parseAccept } from '../../../stack/src/rest/media.ts';
import { parsePreferences, preferenceApplied } from '../../../stack/src/rest/prefer.ts';
import { parseQueryParams } from '../../../stack/src/rest/query-params.ts';
import { canonicalQuery, parseQueryString, urlEncode } from '../../../stack/src/rest/query-string.ts';
import { contentRange, rangeStatus, requestedRange, restrictRange } from '../../../stack/src/rest/range.ts';
import { arrayLiteral, ident } from '../../../stack/src/rest/sql-builder.ts';

// The PostgREST grammar and its doctest examples (QueryParams.hs), preferences,
// ranges, media types and the SQLSTATE → HTTP map, without a database.

const failure = (fn: () => unknown): { pos: number; details: string } => {
  try { fn(); } catch (e) { if (e instanceof GrammarError) return { pos: e.pos + 1, details: e.details }; throw e; }
  throw new Error('expected a parse failure');
};

describe('select', () => {
  it('parses fields, aliases, casts, JSON paths and relations', () => {
    expect(parseSelect('alias:name->jsonpath::cast')).toEqual([{ kind: 'field', alias: 'alias', cast: 'cast', field: { name: 'name', jsonPath: [{ arrow: '->', value: 'jsonpath', index: false }] } }]);
    expect(parseSelect('data->>-78,data->0')).toEqual([
      { kind: 'field', field: { name: 'data', jsonPath: [{ arrow: '->>', value: '-78', index: true }] } },
      { kind: 'field', field: { name: 'data', jsonPath: [{ arrow: '->', value: '+0', index: true }] } },
    ]);
    expect(parseSelect('*,client(*,nested(*))')[1]).toMatchObject({ kind: 'relation', name: 'client', children: [{ kind: 'field' }, { kind: 'relation', name: 'nested' }] });
    expect(parseSelect('alias:rel!inner!hint(*)')[0]).toMatchObject({ kind: 'relation', name: 'rel', alias: 'alias', hint: 'hint', joinType: 'inner' });
    expect(parseSelect('...rel(id)')[0]).toMatchObject({ kind: 'relation', spread: true, name: 'rel' });
    expect(parseSelect('"a,b":"c d"')[0]).toMatchObject({ field: { name: 'c d' }, alias: 'a,b' });
    expect(parseSelect('identifier with spaces, dash-ed')).toMatchObject([{ field: { name: 'identifier with spaces' } }, { field: { name: 'dash-ed' } }]);
    expect(parseSelect('c:count()')[0]).toMatchObject({ aggregate: 'count', alias: 'c' });
    expect(parseSelect('amount.sum()::int')[0]).toMatchObject({ aggregate: 'sum', aggregateCast: 'int' });
    expect(parseSelect('')).toEqual([]);
  });

  it('fails like parsec at the same column', () => {
    expect(failure(() => parseSelect('id,clients(name[])'))).toEqual({ pos: 16, details: 'unexpected \'[\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input' });
    expect(failure(() => parseSelect('name!hint')).pos).toBe(5);
    expect(failure(() => parseSelect('name::')).details).toBe('unexpected end of input expecting letter or digit');
  });
});

describe('filters', () => {
  it('parses operators, quantifiers, lists, is, isdistinct and fts', () => {
    expect(parseFilterValue('eq.1')).toEqual({ negated: false, operation: { kind: 'quant', op: 'eq', value: '1' } });
    expect(parseFilterValue('not.eq(all).value')).toEqual({ negated: true, operation: { kind: 'quant', op: 'eq', quantifier: 'all', value: 'value' } });
    expect(parseFilterValue('gte.2.5').operation).toEqual({ kind: 'quant', op: 'gte', value: '2.5' });
    expect(parseFilterValue('like(any).{a*,b}').operation).toEqual({ kind: 'quant', op: 'like', quantifier: 'any', value: '{a*,b}' });
    expect(parseFilterValue('in.(1,"a,b","q\\"x", spaced )').operation).toEqual({ kind: 'in', values: ['1', 'a,b', 'q"x', ' spaced '] });
    expect(parseFilterValue('is.NULL').operation).toEqual({ kind: 'is', value: 'null' });
    expect(parseFilterValue('is.not_null').operation).toEqual({ kind: 'is', value: 'not_null' });
    expect(parseFilterValue('isdistinct.x').operation).toEqual({ kind: 'isdistinct', value: 'x' });
    expect(parseFilterValue('wfts(english).fat cat').operation).toEqual({ kind: 'fts', op: 'wfts', language: 'english', value: 'fat cat' });
    expect(parseFilterValue('cs.{1,2}').operation).toEqual({ kind: 'simple', op: 'cs', value: '{1,2}' });
    expect(parseFilterValue('adj.[1,2)').operation).toEqual({ kind: 'simple', op: 'adj', value: '[1,2)' });
  });

  it('reports an unknown operator as PostgREST does', () => {
    expect(failure(() => parseFilterValue('noop.0'))).toEqual({ pos: 1, details: 'unexpected "o" expecting "not" or operator (eq, gt, ...)' });
    expect(failure(() => parseFilterValue('val'))).toEqual({ pos: 1, details: 'unexpected "v" expecting "not" or operator (eq, gt, ...)' });
    expect(failure(() => parseFilterValue('is.maybe')).details).toBe('unexpected "m" expecting isVal: (null, not_null, true, false, unknown)');
  });

  it('parses keys with embed paths and JSON paths', () => {
    expect(parseTreePath('a.b->c->>0')).toEqual({ path: ['a'], field: { name: 'b', jsonPath: [{ arrow: '->', value: 'c', index: false }, { arrow: '->>', value: '+0', index: true }] } });
  });
});

describe('order and logic', () => {
  it('parses order terms', () => {
    expect(parseOrder('name.desc.nullsfirst,json_col->key.asc.nullslast,id')).toEqual([
      { field: { name: 'name', jsonPath: [] }, direction: 'desc', nulls: 'first' },
      { field: { name: 'json_col', jsonPath: [{ arrow: '->', value: 'key', index: false }] }, direction: 'asc', nulls: 'last' },
      { field: { name: 'id', jsonPath: [] } },
    ]);
    expect(parseOrder('clients(name).desc')[0]).toMatchObject({ relation: 'clients', direction: 'desc' });
  });

  it('fails on order terms like parsec (doctest examples)', () => {
    expect(failure(() => parseOrder('id.ac'))).toEqual({ pos: 4, details: 'unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"' });
    expect(failure(() => parseOrder('id.descc'))).toEqual({ pos: 8, details: 'unexpected \'c\' expecting delimiter (.), "," or end of input' });
    expect(failure(() => parseOrder('id.nullslasttt'))).toEqual({ pos: 13, details: 'unexpected \'t\' expecting "," or end of input' });
    expect(failure(() => parseOrder('id.asc.nlsfst'))).toEqual({ pos: 8, details: 'unexpected "l" expecting "nullsfirst" or "nullslast"' });
    expect(failure(() => parseOrder('clients(name,id)')).pos).toBe(13);
  });

  it('parses logic trees, negated and nested', () => {
    expect(parseLogicTree('or(a.lt.18,and(b.gte.11,b.not.lte.17),not.and(c.eq."x,y",d.in.(1,2)))')).toEqual({
      kind: 'expr', negated: false, op: 'or', children: [
        { kind: 'stmt', filter: { field: { name: 'a', jsonPath: [] }, expr: { negated: false, operation: { kind: 'quant', op: 'lt', value: '18' } } } },
        { kind: 'expr', negated: false, op: 'and', children: [
          { kind: 'stmt', filter: { field: { name: 'b', jsonPath: [] }, expr: { negated: false, operation: { kind: 'quant', op: 'gte', value: '11' } } } },
          { kind: 'stmt', filter: { field: { name: 'b', jsonPath: [] }, expr: { negated: true, operation: { kind: 'quant', op: 'lte', value: '17' } } } },
        ] },
        { kind: 'expr', negated: true, op: 'and', children: [
          { kind: 'stmt', filter: { field: { name: 'c', jsonPath: [] }, expr: { negated: false, operation: { kind: 'quant', op: 'eq', value: 'x,y' } } } },
          { kind: 'stmt', filter: { field: { name: 'd', jsonPath: [] }, expr: { negated: false, operation: { kind: 'in', values: ['1', '2'] } } } },
        ] },
      ],
    });
    expect(parseLogicTree('and(tags.cs.{a,b},id.eq.1)')).toMatchObject({ children: [{ filter: { expr: { operation: { value: '{a,b}' } } } }, {}] });
  });

  it('fails on logic trees like parsec (doctest examples)', () => {
    expect(failure(() => parseLogicTree('or()'))).toEqual({ pos: 4, details: 'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)' });
    expect(failure(() => parseLogicTree('or(id.in.1,2,id.eq.3)'))).toEqual({ pos: 10, details: 'unexpected "1" expecting "("' });
    expect(failure(() => parseLogicTree('or)('))).toEqual({ pos: 3, details: 'unexpected ")" expecting "("' });
    expect(failure(() => parseLogicTree(`${'and('.repeat(MAX_NESTING + 1)}a.eq.1${')'.repeat(MAX_NESTING + 1)}`)).details).toContain('nesting deeper');
  });

  it('parses column lists, ignoring trailing input', () => {
    expect(parseColumns('a, "b,c" ,d')).toEqual(['a', 'b,c', 'd']);
    expect(parseColumns('id) do update')).toEqual(['id']);
  });

  it('never throws anything but a GrammarError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      for (const fn of [parseSelect, parseFilterValue, parseOrder, parseColumns, parseTreePath, (x: string) => parseLogicTree(`or${x}`)]) {
        try { fn(s); } catch (e) { expect(e).toBeInstanceOf(GrammarError); }
      }
    }), { numRuns: 2000 });
  });
});

describe('query parameters', () => {
  it('classifies reserved, embeddable and filter keys, and RPC read arguments', () => {
    const q = parseQueryParams(parseQueryString('select=id&order=id.desc&limit=5&offset=2&rel.limit=1&id=gt.1&or=(a.eq.1)&not.and=(b.eq.2)'), false);
    expect(q.select).toHaveLength(1);
    expect(q.order).toEqual([{ path: [], terms: [{ field: { name: 'id', jsonPath: [] }, direction: 'desc' }] }]);
    expect([...q.limits]).toEqual([['', '5'], ['rel', '1']]);
    expect(q.filters.map((f) => f.filter.field.name)).toEqual(['id']);
    expect(q.logic.map((l) => l.tree.kind === 'expr' && l.tree.negated)).toEqual([false, true]);
    const rpc = parseQueryParams(parseQueryString('p_stream=hotspots&p_limit=10&id=eq.3'), true);
    expect(rpc.rpcParams).toEqual([['p_stream', 'hotspots'], ['p_limit', '10']]);
    expect(rpc.filters).toHaveLength(1);
  });

  it('reports a parse failure as PGRST100 with the source in the message', () => {
    expect(() => parseQueryParams(parseQueryString('id=noop.0'), false)).toThrow(expect.objectContaining({
      status: 400, body: { code: 'PGRST100', details: 'unexpected "o" expecting "not" or operator (eq, gt, ...)', hint: null, message: '"failed to parse filter (noop.0)" (line 1, column 1)' },
    }));
  });

  it('decodes + as space, keeps keys without = apart, and canonicalises', () => {
    expect(parseQueryString('a=b+c&d&e=%E2%9C%93&bad=%zz')).toEqual([{ key: 'a', value: 'b c' }, { key: 'd', value: null }, { key: 'e', value: '✓' }, { key: 'bad', value: '%zz' }]);
    expect(canonicalQuery(parseQueryString('select=id,name&id=gt.1&id=lt.5&a=1'))).toBe('a=1&id=gt.1,lt.5&select=id%2Cname');
  });

  it('urlEncode escapes every byte but the unreserved ones, as Network.HTTP.Base.urlEncode', () => {
    // The definition, byte by byte over the UTF-8 encoding.
    const byBytes = (s: string): string => [...Buffer.from(s, 'utf8')]
      .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    const samples = ['', 'plain-_.~09AZaz', "!'()*", ' +&=,;:/?#[]@$%"<>\\^`{|}', 'é日本🔥', 'a\u0000b\u007f', '\ud800 lone', '\udfff'];
    for (let c = 0; c < 256; c++) samples.push(String.fromCharCode(c));
    for (const s of samples) expect(urlEncode(s), JSON.stringify(s)).toBe(byBytes(s));
  });
});

describe('preferences, ranges, media types, SQL text', () => {
  it('parses Prefer like PostgREST: first wins, invalid kept, tx only when allowed', () => {
    const p = parsePreferences(['return=representation, count=exact', 'count=planned, tx=rollback, nonsense', 'max-affected=5, timezone=UTC'], true, new Set(['UTC']));
    expect(p).toMatchObject({ representation: 'full', count: 'exact', tx: 'rollback', maxAffected: 5, timezone: 'UTC', invalid: ['nonsense'] });
    expect(parsePreferences(['tx=rollback'], false, new Set()).tx).toBeUndefined();
    expect(parsePreferences(['__proto__, valueOf'], true, new Set()).invalid).toEqual(['__proto__', 'valueOf']);
    expect(preferenceApplied({ count: 'exact', resolution: 'merge-duplicates', representation: 'full', handling: 'strict', maxAffected: 3 }))
      .toBe('resolution=merge-duplicates, return=representation, count=exact, handling=strict, max-affected=3');
  });

  it('computes ranges, Content-Range and statuses as RangeQuery.hs', () => {
    expect(requestedRange('2', '3', undefined)).toEqual({ offset: 3, limit: 2 });
    expect(requestedRange(undefined, undefined, '1-')).toEqual({ offset: 1, limit: null });
    expect(requestedRange('0', undefined, undefined)).toEqual({ offset: 0, limit: 0 });
    expect(() => requestedRange('-1', undefined, undefined)).toThrow(expect.objectContaining({ status: 416 }));
    expect(restrictRange({ offset: 0, limit: null }, 1000)).toEqual({ offset: 0, limit: 1000 });
    expect(contentRange(0, -1, null)).toBe('*/*');
    expect(contentRange(0, 4, 5)).toBe('0-4/5');
    expect(contentRange(1, 0, 3)).toBe('*/3');
    expect(rangeStatus(0, 2, 5)).toEqual({ status: 206, contentRange: '0-1/5' });
    expect(rangeStatus(6, 0, 5)).toEqual({ status: 416, contentRange: '*/5' });
  });

  it('decodes media types and orders Accept by quality', () => {
    expect(decodeMediaType('application/vnd.pgrst.object+json;nulls=stripped')).toEqual({ kind: 'singular', strip: true });
    expect(decodeMediaType('application/vnd.pgrst.array+json')).toEqual({ kind: 'json' });
    expect(parseAccept('text/html;q=0.5, text/csv')).toEqual([{ kind: 'csv' }, { kind: 'other', mime: 'text/html' }]);
  });

  it('quotes identifiers and builds array literals', () => {
    expect(ident('a"b')).toBe('"a""b"');
    expect(ident('x\u0000; drop')).toBe('"x"');
    expect(arrayLiteral(['a,b', 'q"x', 'b\\s'])).toBe('{"a,b","q\\"x","b\\\\s"}');
  });

  it('maps SQLSTATEs to HTTP statuses as mapSQLtoHTTP', () => {
    const cases: Array<[string, string, boolean, number]> = [
      ['23505', '', true, 409], ['23503', '', true, 409], ['42501', '', false, 401], ['42501', '', true, 403], ['25006', '', true, 405],
      ['P0001', '', true, 400], ['P0002', '', true, 500], ['42883', 'function f() does not exist', true, 404], ['42P01', '', true, 404],
      ['PT402', '', true, 402], ['08006', '', true, 503], ['53300', '', true, 503], ['53400', '', true, 500], ['57014', '', true, 500],
      ['22023', 'role "x" does not exist', true, 401], ['22023', 'other', true, 400], ['21000', 'DELETE requires a WHERE clause', true, 400],
      ['21000', 'more than one row', true, 500], ['28000', '', true, 403], ['XX000', '', true, 500], ['22P02', '', true, 400], ['42P17', '', true, 500],
    ];
    for (const [code, msg, authed, status] of cases) expect(sqlStateToHttp(code, msg, authed), code).toBe(status);
  });
});
