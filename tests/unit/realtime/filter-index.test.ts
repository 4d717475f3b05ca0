/**
 * FilterIndex (stack/src/realtime/filter-index.ts) must answer exactly what evaluating
 * every subscription's filters answers: over uuid, integer, text, numeric and jsonb
 * columns, equality written as PostgreSQL would accept it but not canonically (upper-case
 * uuid, braces, `+7`, `007`), negations, several filters, `in` and no filter at all.
 */
import { describe, expect, it } from 'vitest';
import { FilterIndex } from '../../../stack/src/realtime/filter-index.ts';
import { matchesFilters, parseFilter, type Filter } from '../../../stack/src/realtime/filters.ts';
import type { PgType } from '../../../stack/src/realtime/pg-values.ts';

const TYPES: Record<string, PgType> = {
  org_id: { oid: 2950, name: 'uuid', kind: 'string' },
  n: { oid: 20, name: 'int8', kind: 'number' },
  status: { oid: 25, name: 'text', kind: 'string' },
  score: { oid: 1700, name: 'numeric', kind: 'number' },
  meta: { oid: 3802, name: 'jsonb', kind: 'json' },
};
const typeOf = (c: string): PgType | undefined => TYPES[c];

const ORG = '6f1c2b7e-0d4a-4c3e-9b2f-1a2b3c4d5e6f';
const OTHER = '00000000-0000-4000-8000-000000000001';
const FILTERS = [
  '', `org_id=eq.${ORG}`, `org_id=eq.${ORG.toUpperCase()}`, `org_id=eq.{${ORG}}`, `org_id=eq.${ORG.replace(/-/g, '')}`,
  `org_id=eq.${OTHER}`, `org_id=neq.${ORG}`, `org_id=not.eq.${ORG}`, `org_id=in.(${ORG},${OTHER})`,
  'n=eq.7', 'n=eq.+7', 'n=eq.007', 'n=eq.-0', 'n=eq.0', 'n=gt.5', 'n=eq.8',
  'status=eq.open', 'status=eq.Open', 'status=eq.open ', 'score=eq.1.50', 'score=eq.1.5',
  'meta->>kind=eq.a', `org_id=eq.${ORG},status=eq.open`, `status=eq.open,org_id=eq.${ORG}`, `org_id=eq.${ORG},n=gt.7`,
];

interface Sub { id: number; spec: { filters: readonly Filter[] } }
const subs: Sub[] = FILTERS.map((f, id) => {
  const parsed = parseFilter(f);
  if (!parsed.ok) throw new Error(`bad filter ${f}`);
  return { id, spec: { filters: parsed.value } };
});

const row = (o: Record<string, string | null>): Map<string, string | null> => new Map(Object.entries(o));
const TUPLES = [
  row({ org_id: ORG, n: '7', status: 'open', score: '1.5', meta: '{"kind":"a"}' }),
  row({ org_id: OTHER, n: '0', status: 'Open', score: '1.50', meta: '{"kind":"b"}' }),
  row({ org_id: ORG, n: '8', status: 'open ', score: null, meta: null }),
  row({ org_id: null, n: null, status: null, score: null, meta: null }),
  row({ n: '7' }), // columns absent (an unchanged TOAST value, say)
];

describe('FilterIndex', () => {
  it('matches exactly the subscriptions whose filters pass, for every tuple', () => {
    const index = new FilterIndex(subs, typeOf);
    for (const t of TUPLES) {
      const expected = subs.filter((s) => s.spec.filters.length === 0 || matchesFilters(s.spec.filters, t, typeOf)).map((s) => s.id);
      expect(index.matching(t).map((s) => s.id).sort((a, b) => a - b)).toEqual(expected);
    }
  });

  it('without a tuple only the subscriptions without filters match', () => {
    expect(new FilterIndex(subs, typeOf).matching(null).map((s) => s.id)).toEqual([0]);
  });

  it('a tuple meets only its own value\'s subscriptions among a hundred on org_id=eq', () => {
    const orgs = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const many: Sub[] = orgs.map((o, id) => ({ id, spec: { filters: (parseFilter(`org_id=eq.${o}`) as { ok: true; value: Filter[] }).value } }));
    const index = new FilterIndex(many, typeOf);
    expect(index.matching(row({ org_id: orgs[42]! })).map((s) => s.id)).toEqual([42]);
  });
});
