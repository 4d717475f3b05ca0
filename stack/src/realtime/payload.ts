/**
 * The `data` object of a postgres_changes message, as Supabase Realtime's apply_rls
 * builds it: columns the role may select (attnum order, pg_type names), `record` for
 * INSERT/UPDATE (unchanged TOAST values filled from the old row when it has them),
 * `old_record` for UPDATE/DELETE (replica identity; for DELETE only the primary key
 * when RLS is on), `errors` null or a list (400 no primary key, 401 no select on the
 * key, 413 record over the size limit — then only values of at most 64 bytes).
 */
import type { ColumnInfo, TableInfo } from './catalog.ts';
import { valueToJson } from './pg-values.ts';
import type { RowChange } from './replication.ts';
import type { Tuple } from './pgoutput.ts';

export interface RenderOptions {
  table: TableInfo;
  change: RowChange;
  commitTimestamp: string;
  selectable: ReadonlySet<string>;
  select: readonly string[] | null;
  maxRecordBytes: number;
}

const q = JSON.stringify;

function keyColumns(change: RowChange): string[] {
  return change.relation.columns.filter((c) => c.isKey).map((c) => c.name);
}

/** What one (table, privileges, column list) renders: the shown columns, in order. */
interface RenderPlan {
  /** The `columns` array's JSON. */
  columnsJson: string;
  /** Shown columns with their `"name":` prefix. */
  shown: Array<{ column: ColumnInfo; label: string }>;
}

/** Plans per table, per role's selectable set, per column list: a change renders without re-deriving them. */
const plans = new WeakMap<TableInfo, WeakMap<ReadonlySet<string>, Map<string, RenderPlan>>>();

function renderPlan(table: TableInfo, selectable: ReadonlySet<string>, select: readonly string[] | null): RenderPlan {
  let bySet = plans.get(table);
  if (!bySet) { bySet = new WeakMap(); plans.set(table, bySet); }
  let bySelect = bySet.get(selectable);
  if (!bySelect) { bySelect = new Map(); bySet.set(selectable, bySelect); }
  const key = select === null ? '*' : select.join(',');
  let plan = bySelect.get(key);
  if (!plan) {
    const pk = new Set(table.pk);
    const shown = table.columns
      .filter((c) => selectable.has(c.name) && (select === null || select.includes(c.name) || pk.has(c.name)))
      .map((column) => ({ column, label: `${q(column.name)}:` }));
    const columnsJson = `[${shown.map(({ column: c }) => `{"name":${q(c.name)},"type":${q(c.type.name)}}`).join(',')}]`;
    plan = { columnsJson, shown };
    bySelect.set(key, plan);
  }
  return plan;
}

export function renderChange(o: RenderOptions): string {
  const { table, change } = o;
  const plan = renderPlan(table, o.selectable, o.select);
  const tooLarge = change.bytes > o.maxRecordBytes;

  const renderTuple = (tuple: Tuple, fallback: Tuple | null, only: ((name: string) => boolean) | null): string => {
    let out = '';
    for (const { column: c, label } of plan.shown) {
      if (only && !only(c.name)) continue;
      let text: string | null | undefined = tuple.get(c.name);
      if (text === undefined && !tuple.has(c.name)) {
        if (fallback && fallback.has(c.name)) text = fallback.get(c.name) ?? null;
        else continue;
      }
      const json = valueToJson(c.type, text ?? null);
      if (tooLarge && Buffer.byteLength(json) > 64) continue;
      out += (out === '' ? label : ',' + label) + json;
    }
    return '{' + out + '}';
  };

  let body = `{"schema":${q(table.schema)},"table":${q(table.name)},"commit_timestamp":${q(o.commitTimestamp)},"type":${q(change.kind)},"columns":${plan.columnsJson}`;
  const newTuple = change.newTuple;
  if ((change.kind === 'INSERT' || change.kind === 'UPDATE') && newTuple) {
    const fallback = change.oldTuple && !change.oldIsKey ? change.oldTuple : null;
    body += `,"record":${renderTuple(newTuple, fallback, null)}`;
  }
  if (change.kind === 'UPDATE') {
    let old: Tuple;
    let only: ((n: string) => boolean) | null = null;
    if (change.oldTuple) {
      old = change.oldTuple;
      if (change.oldIsKey) { const keys = new Set(keyColumns(change)); only = (n) => keys.has(n); }
    } else {
      // Key unchanged: wal2json (and so Realtime) reports the identity from the new row.
      old = newTuple ?? new Map();
      const keys = new Set(keyColumns(change));
      only = (n) => keys.has(n);
    }
    body += `,"old_record":${renderTuple(old, null, only)}`;
  }
  if (change.kind === 'DELETE') {
    const old = change.oldTuple ?? new Map();
    let only: ((n: string) => boolean) | null = null;
    if (change.oldIsKey) { const keys = new Set(keyColumns(change)); only = (n) => keys.has(n); }
    if (table.rls) only = (n) => table.pk.includes(n) && (change.oldIsKey ? keyColumns(change).includes(n) : true);
    body += `,"old_record":${renderTuple(old, null, only)}`;
  }
  body += `,"errors":${tooLarge ? '["Error 413: Payload Too Large"]' : 'null'}}`;
  return body;
}

/** Payload for a subscriber that cannot be shown the row (400/401/500): no data, just the error. */
export function renderError(table: TableInfo, change: RowChange, error: string): string {
  let body = `{"schema":${q(table.schema)},"table":${q(table.name)},"commit_timestamp":null,"type":${q(change.kind)},"columns":[]`;
  if (change.kind !== 'DELETE') body += ',"record":{}';
  if (change.kind !== 'INSERT') body += ',"old_record":{}';
  return body + `,"errors":[${q(error)}]}`;
}

/** Commit time (µs since the Unix epoch) as Realtime formats it: UTC, milliseconds, Z. */
export function commitTimestamp(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}
