/**
 * A table's Postgres Changes subscriptions narrowed by the value of an equality filter
 * before any filter is evaluated. With one subscriber per org member on `org_id=eq.<org>`
 * (the SDK's default), a change is then matched against its own org's subscriptions,
 * not every subscription on the table: evaluating each filter costs a typed comparison,
 * and at 100 subscribers that was most of a batch's preparation.
 *
 * Only an `eq` filter whose comparison is plain equality of a normalised text is indexed
 * (compareTyped in filters.ts): uuid (braces and dashes dropped, lower case), integers
 * written canonically, and the text-like types compared as they are. Everything else is
 * a candidate for every change. A subscription whose one filter is the indexed equality
 * matches by the lookup itself; every other candidate is decided by matchesFilters, so
 * the result is exactly that of evaluating every subscription's filters.
 */
import { matchesFilters, type Filter } from './filters.ts';
import type { PgType } from './pg-values.ts';

type Tuple = ReadonlyMap<string, string | null>;

/** Types compareTyped compares other than by the text as it is (besides uuid and integers). */
const NOT_PLAIN = new Set(['numeric', 'oid', 'float4', 'float8', 'bool', 'timestamp', 'timestamptz', 'date', 'jsonb', 'json']);
const CANONICAL_INT = /^(0|-?[1-9][0-9]*)$/;

/** How a value of this type normalises for equality, or null when it is not indexed. */
function normaliser(type: PgType): ((v: string) => string | null) | null {
  const kind = type.compareAs ?? type.name;
  if (kind === 'uuid') return (v) => v.replace(/[{}-]/g, '').toLowerCase();
  if (kind === 'int2' || kind === 'int4' || kind === 'int8') return (v) => (CANONICAL_INT.test(v) ? v : null);
  if (NOT_PLAIN.has(kind)) return null;
  return (v) => v;
}

interface Column<S> {
  norm: (v: string) => string | null;
  /** Normalised value → subscriptions filtering on it; `exact`: that filter is their only one. */
  byValue: Map<string, Array<{ sub: S; exact: boolean }>>;
}

export class FilterIndex<S extends { spec: { filters: readonly Filter[] } }> {
  /** Subscriptions without an indexed filter: candidates for every change. */
  private readonly always: S[] = [];
  private readonly columns = new Map<string, Column<S>>();

  constructor(subs: readonly S[], private readonly typeOf: (column: string) => PgType | undefined) {
    for (const sub of subs) {
      const placed = sub.spec.filters.some((f) => {
        if (f.op !== 'eq' || f.negate || f.jsonKey !== undefined) return false;
        const type = typeOf(f.baseColumn);
        const norm = type ? normaliser(type) : null;
        const key = norm?.(f.value) ?? null;
        if (!norm || key === null) return false;
        let col = this.columns.get(f.baseColumn);
        if (!col) { col = { norm, byValue: new Map() }; this.columns.set(f.baseColumn, col); }
        const entry = { sub, exact: sub.spec.filters.length === 1 };
        const list = col.byValue.get(key);
        if (list) list.push(entry); else col.byValue.set(key, [entry]);
        return true;
      });
      if (!placed) this.always.push(sub);
    }
  }

  /** The subscriptions whose filters pass for this tuple (null: only those without filters). */
  matching(tuple: Tuple | null): S[] {
    const out: S[] = [];
    const decide = (sub: S): void => {
      if (sub.spec.filters.length === 0 || (tuple !== null && matchesFilters(sub.spec.filters, tuple, this.typeOf))) out.push(sub);
    };
    for (const sub of this.always) decide(sub);
    if (tuple === null) return out;
    for (const [column, col] of this.columns) {
      const v = tuple.get(column);
      if (v === undefined || v === null) continue;
      const key = col.norm(v);
      const hit = key === null ? undefined : col.byValue.get(key);
      if (hit) for (const { sub, exact } of hit) { if (exact) out.push(sub); else decide(sub); }
    }
    return out;
  }
}
