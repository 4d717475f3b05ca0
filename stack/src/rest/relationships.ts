import { ambiguousRelationship, noRelationship, type Json } from './errors.ts';
import { closest } from './fuzzy.ts';
import { qiKey } from './schema-cache.ts';

/**
 * PostgREST's relationships (SchemaCache.hs, Relationship.hs): many-to-one / one-to-one
 * from foreign keys, their inverses (one-to-many / one-to-one parent side), many-to-many
 * through a junction whose primary key covers both foreign keys, the same keys followed
 * through views (a view column that is a plain reference to a key column), and computed
 * relationships (a function taking one table's row type and returning another's).
 * `findRelationship` is Plan.hs findRel, with its PGRST200/PGRST201 answers.
 */

export interface QI { schema: string; name: string }
type Pairs = Array<[string, string]>;

export type Cardinality =
  | { kind: 'm2o' | 'o2m'; constraint: string; columns: Pairs }
  | { kind: 'o2o'; constraint: string; columns: Pairs; isParent: boolean }
  | { kind: 'm2m'; junction: QI; constraint1: string; constraint2: string; sourceColumns: Pairs; targetColumns: Pairs };

export type Relationship =
  | { kind: 'fk'; table: QI; foreignTable: QI; isSelf: boolean; card: Cardinality; tableIsView: boolean; foreignIsView: boolean }
  | { kind: 'computed'; fn: QI; table: QI; foreignTable: QI; toOne: boolean; isSelf: boolean };

/** A foreign key as read from pg_constraint: column pairs (own, referenced) in key order. */
export interface FkRow {
  table: QI;
  foreignTable: QI;
  constraint: string;
  columns: Pairs;
  /** The key columns are exactly a primary key or unique constraint of the table. */
  oneToOne: boolean;
}

/** A view column that plainly references a base-table column (followed through views of views). */
export interface ViewColumnSource { view: QI; viewColumn: string; table: QI; column: string }

export interface ComputedRow { fn: QI; table: QI; foreignTable: QI; singleRow: boolean }

export interface RelationshipInput {
  fks: FkRow[];
  viewColumns: ViewColumnSource[];
  computed: ComputedRow[];
  pkOf: (t: QI) => string[];
}

/** Relationships by (origin table, foreign table's schema), as PostgREST keys them. */
export type RelationshipsMap = Map<string, Relationship[]>;

const same = (a: QI, b: QI): boolean => a.schema === b.schema && a.name === b.name;
const mapKey = (t: QI, foreignSchema: string): string => `${qiKey(t.schema, t.name)}\u0000${foreignSchema}`;
const swap = (p: Pairs): Pairs => p.map(([a, b]) => [b, a]);

export function relIsToOne(r: Relationship): boolean {
  if (r.kind === 'computed') return r.toOne;
  return r.card.kind === 'm2o' || r.card.kind === 'o2o';
}

/** Every combination of view columns that reference all the given table columns. */
function viewColumnChoices(sources: ViewColumnSource[], table: QI, columns: string[]): Map<string, string[][]> {
  const byView = new Map<string, { view: QI; cols: Map<string, string[]> }>();
  for (const s of sources) {
    if (!same(s.table, table) || !columns.includes(s.column)) continue;
    const k = qiKey(s.view.schema, s.view.name);
    const e = byView.get(k) ?? { view: s.view, cols: new Map<string, string[]>() };
    e.cols.set(s.column, [...(e.cols.get(s.column) ?? []), s.viewColumn]);
    byView.set(k, e);
  }
  const out = new Map<string, string[][]>();
  for (const [k, e] of byView) {
    if (!columns.every((c) => e.cols.has(c))) continue;
    let combos: string[][] = [[]];
    for (const c of columns) combos = combos.flatMap((prefix) => (e.cols.get(c) ?? []).map((vc) => [...prefix, vc]));
    out.set(k, combos);
  }
  return out;
}

function viewOf(sources: ViewColumnSource[], key: string): QI {
  const s = sources.find((x) => qiKey(x.view.schema, x.view.name) === key);
  if (!s) throw new Error('view not found');
  return s.view;
}

export function buildRelationships(input: RelationshipInput): RelationshipsMap {
  const { fks, viewColumns, computed, pkOf } = input;
  const base: Relationship[] = [...fks]
    .sort((a, b) => (a.constraint < b.constraint ? -1 : a.constraint > b.constraint ? 1 : 0))
    .map((f) => ({
      kind: 'fk', table: f.table, foreignTable: f.foreignTable, isSelf: same(f.table, f.foreignTable),
      card: f.oneToOne ? { kind: 'o2o', constraint: f.constraint, columns: f.columns, isParent: false } : { kind: 'm2o', constraint: f.constraint, columns: f.columns },
      tableIsView: false, foreignIsView: false,
    }));

  // Keys followed through views: view→table, table→view and view→view (addViewM2OAndO2ORels).
  const viewRels: Relationship[] = [];
  for (const r of base) {
    if (r.kind !== 'fk' || r.card.kind === 'm2m' || r.card.kind === 'o2m') continue;
    const card = r.card;
    const own = card.columns.map(([c]) => c);
    const ref = card.columns.map(([, c]) => c);
    const mk = (columns: Pairs): Cardinality => (card.kind === 'm2o'
      ? { kind: 'm2o', constraint: card.constraint, columns }
      : { kind: 'o2o', constraint: card.constraint, columns, isParent: false });
    const fromViews = viewColumnChoices(viewColumns, r.table, own);
    const toViews = viewColumnChoices(viewColumns, r.foreignTable, ref);
    for (const [vk, combos] of fromViews) {
      for (const vcols of combos) {
        viewRels.push({ kind: 'fk', table: viewOf(viewColumns, vk), foreignTable: r.foreignTable, isSelf: false,
          card: mk(vcols.map((vc, i) => [vc, ref[i] as string])), tableIsView: true, foreignIsView: false });
      }
    }
    for (const [vk, combos] of toViews) {
      for (const vcols of combos) {
        viewRels.push({ kind: 'fk', table: r.table, foreignTable: viewOf(viewColumns, vk), isSelf: false,
          card: mk(vcols.map((vc, i) => [own[i] as string, vc])), tableIsView: false, foreignIsView: true });
      }
    }
    for (const [vk1, combos1] of fromViews) {
      for (const [vk2, combos2] of toViews) {
        for (const v1 of combos1) {
          for (const v2 of combos2) {
            viewRels.push({ kind: 'fk', table: viewOf(viewColumns, vk1), foreignTable: viewOf(viewColumns, vk2), isSelf: vk1 === vk2,
              card: mk(v1.map((vc, i) => [vc, v2[i] as string])), tableIsView: true, foreignIsView: true });
          }
        }
      }
    }
  }
  const direct = [...base, ...viewRels];

  const inverse: Relationship[] = direct.flatMap((r): Relationship[] => {
    if (r.kind !== 'fk') return [];
    const inv = { kind: 'fk' as const, table: r.foreignTable, foreignTable: r.table, isSelf: r.isSelf, tableIsView: r.foreignIsView, foreignIsView: r.tableIsView };
    if (r.card.kind === 'm2o') return [{ ...inv, card: { kind: 'o2m', constraint: r.card.constraint, columns: swap(r.card.columns) } }];
    if (r.card.kind === 'o2o') return [{ ...inv, card: { kind: 'o2o', constraint: r.card.constraint, columns: swap(r.card.columns), isParent: !r.card.isParent } }];
    return [];
  });

  // Many-to-many: two distinct many-to-one keys of one junction, both inside its primary key.
  const m2m: Relationship[] = [];
  for (const r1 of direct) {
    if (r1.kind !== 'fk' || r1.card.kind !== 'm2o') continue;
    for (const r2 of direct) {
      if (r2.kind !== 'fk' || r2.card.kind !== 'm2o' || !same(r1.table, r2.table) || r1.card.constraint === r2.card.constraint) continue;
      const pk = new Set(pkOf(r1.table));
      const cols = [...r1.card.columns.map(([c]) => c), ...r2.card.columns.map(([c]) => c)];
      if (pk.size === 0 || !cols.every((c) => pk.has(c))) continue;
      m2m.push({
        kind: 'fk', table: r1.foreignTable, foreignTable: r2.foreignTable, isSelf: same(r1.foreignTable, r2.foreignTable),
        card: { kind: 'm2m', junction: r1.table, constraint1: r1.card.constraint, constraint2: r2.card.constraint, sourceColumns: swap(r1.card.columns), targetColumns: swap(r2.card.columns) },
        tableIsView: r1.foreignIsView, foreignIsView: r2.foreignIsView,
      });
    }
  }

  const comp: Relationship[] = computed.map((c) => ({
    kind: 'computed', fn: c.fn, table: c.table, foreignTable: c.foreignTable, toOne: c.singleRow, isSelf: same(c.table, c.foreignTable),
  }));

  const map: RelationshipsMap = new Map();
  for (const r of [...direct, ...inverse, ...m2m, ...comp]) {
    const k = mapKey(r.table, r.foreignTable.schema);
    const list = map.get(k);
    if (list) list.push(r); else map.set(k, [r]);
  }
  return map;
}

// findRel ------------------------------------------------------------------------------

function singleCol(r: Extract<Relationship, { kind: 'fk' }>, side: 0 | 1): string | undefined {
  if (r.card.kind === 'm2m' || r.card.columns.length !== 1) return undefined;
  return r.card.columns[0]?.[side];
}
const constraintOf = (r: Extract<Relationship, { kind: 'fk' }>): string | undefined => (r.card.kind === 'm2m' ? undefined : r.card.constraint);

function matches(r: Relationship, target: string, hint: string | undefined): boolean {
  if (r.kind === 'computed') return target === r.fn.name;
  const kind = r.card.kind;
  if (r.isSelf) {
    if (hint === undefined) {
      // /family?select=children:family(*) is the one-to-many; /family?select=parent(*) the many-to-one.
      return (target === r.foreignTable.name && kind === 'o2m') || (singleCol(r, 0) === target && kind === 'm2o');
    }
    return target === r.foreignTable.name && kind === 'o2m' && singleCol(r, 1) === hint;
  }
  if (hint === undefined) {
    return target === r.foreignTable.name
      || (constraintOf(r) === target && !r.foreignIsView)
      || (singleCol(r, 0) === target && !r.foreignIsView);
  }
  return target === r.foreignTable.name && (
    constraintOf(r) === hint || singleCol(r, 0) === hint || singleCol(r, 1) === hint
    || (r.card.kind === 'm2m' && r.card.junction.name === hint));
}

function fmtCols(cols: string[]): string {
  return `(${cols.join(', ')})`;
}

/** compressedRel: one candidate in PGRST201's details. */
function describe(r: Relationship): Json {
  if (r.kind === 'computed') return {};
  const embedding = `${r.table.name} with ${r.foreignTable.name}`;
  const c = r.card;
  if (c.kind === 'm2m') {
    return {
      cardinality: 'many-to-many', embedding,
      relationship: `${c.junction.name} using ${c.constraint1}${fmtCols(c.sourceColumns.map(([, j]) => j))} and ${c.constraint2}${fmtCols(c.targetColumns.map(([, j]) => j))}`,
    };
  }
  const cardinality = c.kind === 'm2o' ? 'many-to-one' : c.kind === 'o2m' ? 'one-to-many' : 'one-to-one';
  return {
    cardinality, embedding,
    relationship: `${c.constraint} using ${r.table.name}${fmtCols(c.columns.map(([a]) => a))} and ${r.foreignTable.name}${fmtCols(c.columns.map(([, b]) => b))}`,
  };
}

function hintFor(r: Relationship): string {
  if (r.kind === 'computed') return '';
  const c = r.card;
  return `'${r.foreignTable.name}!${c.kind === 'm2m' ? c.junction.name : c.constraint}'`;
}

/** noRelBetweenHint: suggest the parent when it has no relationships, else a close child. */
function noRelHint(parent: string, child: string, schema: string, map: RelationshipsMap): string | null {
  const parentRels = map.get(mapKey({ schema, name: parent }, schema));
  if (parentRels === undefined) {
    const parents = [...new Set([...map.values()].flat().filter((r) => r.table.schema === schema && r.foreignTable.schema === schema).map((r) => r.table.name))];
    const m = closest(parent, parents);
    return m === undefined ? null : `Perhaps you meant '${m}' instead of '${parent}'.`;
  }
  const children = [...new Set(parentRels.map((r) => r.foreignTable.name))];
  if (children.includes(child)) return null;
  const m = closest(child, children);
  return m === undefined ? null : `Perhaps you meant '${m}' instead of '${child}'.`;
}

/** Plan.hs findRel: exactly one relationship, else PGRST200 (none) or PGRST201 (several). */
export function findRelationship(schema: string, map: RelationshipsMap, origin: string, target: string, hint: string | undefined): Relationship {
  const rels = (map.get(mapKey({ schema, name: origin }, schema)) ?? []).filter((r) => matches(r, target, hint));
  if (rels.length === 1) return rels[0] as Relationship;
  if (rels.length === 0) throw noRelationship(origin, target, schema, hint, noRelHint(origin, target, schema, map));
  throw ambiguousRelationship(origin, target, rels.map(describe),
    `Try changing '${target}' to one of the following: ${rels.map(hintFor).join(', ')}. Find the desired relationship in the 'details' key.`);
}
