/**
 * The `data` object of a postgres_changes message, as Supabase Realtime's apply_rls
 * builds it: columns the role may select (attnum order, pg_type names), `record` for
 * INSERT/UPDATE (unchanged TOAST values filled from the old row when it has them),
 * `old_record` for UPDATE/DELETE (replica identity; for DELETE only the primary key
 * when RLS is on), `errors` null or a list (400 no primary key, 401 no select on the
 * key, 413 record over the size limit — then only values of at most 64 bytes).
 */
import type { TableInfo } from './catalog.ts';
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

export function renderChange(o: RenderOptions): string {
  const { table, change, selectable, select } = o;
  const pk = new Set(table.pk);
  const wanted = (name: string): boolean => selectable.has(name) && (select === null || select.includes(name) || pk.has(name));
  const tooLarge = change.bytes > o.maxRecordBytes;
  const columns = table.columns.filter((c) => wanted(c.name)).map((c) => `{"name":${q(c.name)},"type":${q(c.type.name)}}`);

  const renderTuple = (tuple: Tuple, fallback: Tuple | null, only: ((name: string) => boolean) | null): string => {
    const parts: string[] = [];
    for (const c of table.columns) {
      if (!wanted(c.name) || (only && !only(c.name))) continue;
      let text: string | null | undefined = tuple.get(c.name);
      if (text === undefined && !tuple.has(c.name)) {
        if (fallback && fallback.has(c.name)) text = fallback.get(c.name) ?? null;
        else continue;
      }
      const json = valueToJson(c.type, text ?? null);
      if (tooLarge && Buffer.byteLength(json) > 64) continue;
      parts.push(`${q(c.name)}:${json}`);
    }
    return '{' + parts.join(',') + '}';
  };

  let body = `{"schema":${q(table.schema)},"table":${q(table.name)},"commit_timestamp":${q(o.commitTimestamp)},"type":${q(change.kind)},"columns":[${columns.join(',')}]`;
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
    if (table.rls) only = (n) => pk.has(n) && (change.oldIsKey ? keyColumns(change).includes(n) : true);
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
