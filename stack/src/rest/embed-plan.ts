import { aggregatesNotAllowed, invalidRange, notEmbedded, notImplemented, relatedOrderNotToOne } from './errors.ts';
import type { AggregateFn, Filter, LogicTree, OrderTerm, SelectField, SelectItem } from './grammar.ts';
import type { QueryParams } from './query-params.ts';
import { readInteger, restrictRange, type RowRange } from './range.ts';
import { findRelationship, relIsToOne, type QI, type Relationship } from './relationships.ts';
import { qiKey, type SchemaCache, type Table } from './schema-cache.ts';
import { implicitAlias } from './sql-builder.ts';

/**
 * PostgREST's read plan tree (Plan.hs readPlan): the select tree with each node's
 * filters, logic trees, order and range attached by embed path, its relationship to
 * its parent resolved (findRel), join aliases (`<table>_<depth>`, `<parent>_<name>_<depth>`),
 * related orders checked, stars expanded for to-many spreads and their order moved
 * into the aggregate.
 */

/** What the plan reads for: a table read, a mutation's RETURNING rows, or a function's rows. */
export type PlanAction = 'read' | 'mutate' | 'rpc';

export interface SpreadField { name: string; alias?: string }

/** An aggregate hoisted out of a to-one spread into the node that embeds it (HoistedAgg). */
export interface HoistedAggregate { aggregate: AggregateFn; aggregateCast?: string; alias?: string }

/** The key of a hoisted aggregate: the spread's aggregate alias and the field's name in it. */
export const hoistKey = (aggAlias: string, name: string): string => `${aggAlias}\u0000${name}`;

export interface ReadNode {
  /** relName and relAlias: how the request names the embed. */
  name: string;
  alias?: string;
  hint?: string;
  joinType?: 'inner' | 'left';
  spread: 'none' | 'to-one' | 'to-many';
  /** The relation read (a function for computed relationships). */
  from: QI;
  /** Its columns, when it is a table or view in the cache. */
  table: Table | undefined;
  /** FROM alias (`hotspots_1`; the root of a mutation/RPC reads `pgrst_source AS "<table>"`). */
  fromAlias?: string;
  /** The root reads the CTE `pgrst_source` instead of `from`. */
  fromSource?: boolean;
  select: SelectField[];
  children: ReadNode[];
  filters: Filter[];
  logic: LogicTree[];
  order: OrderTerm[];
  range: RowRange;
  rel?: Relationship;
  aggAlias: string;
  depth: number;
  /** To-many spread: order columns selected inside (alias → term) and the aggregate order over them. */
  spreadOrderSelects: Array<{ alias: string; term: OrderTerm; relationAlias?: string }>;
  spreadOrder: OrderTerm[];
  /** Aggregates hoisted from to-one spreads below, applied where this node selects their columns. */
  spreadAggs: Map<string, HoistedAggregate>;
}

const FULL_RANGE: RowRange = { offset: 0, limit: null };

function newNode(name: string, from: QI, cache: SchemaCache, depth: number): ReadNode {
  return {
    name, spread: 'none', from, table: cache.tables.get(qiKey(from.schema, from.name)), select: [], children: [],
    filters: [], logic: [], order: [], range: FULL_RANGE, aggAlias: '', depth, spreadOrderSelects: [], spreadOrder: [],
    spreadAggs: new Map(),
  };
}

function addItems(node: ReadNode, items: SelectItem[], cache: SchemaCache): void {
  for (const it of items) {
    if (it.kind === 'field') { node.select.push(it); continue; }
    const child = newNode(it.name, { schema: node.from.schema, name: it.name }, cache, node.depth + 1);
    if (it.alias !== undefined && !it.spread) child.alias = it.alias;
    if (it.hint !== undefined) child.hint = it.hint;
    if (it.joinType !== undefined) child.joinType = it.joinType;
    if (it.spread) child.spread = 'to-one';
    addItems(child, it.children, cache);
    node.children.push(child);
  }
}

/** updateNode: the node at an embed path (matched by name or alias), else PGRST108. */
function nodeAt(root: ReadNode, path: string[]): ReadNode {
  let n = root;
  for (const name of path) {
    const next = n.children.find((c) => c.name === name || c.alias === name);
    if (!next) throw notEmbedded(name);
    n = next;
  }
  return n;
}

/** An embed's `rel.limit` / `rel.offset` (the top level's range comes from request.ts). */
function embedRange(limit: string | undefined, offset: string | undefined): RowRange {
  const lim = readInteger(limit);
  if (lim !== undefined && lim < 0) throw invalidRange({ kind: 'negative-limit' });
  return { offset: readInteger(offset) ?? 0, limit: lim ?? null };
}

/** addRels: each child's relationship to its parent, FROM alias and aggregate alias. */
function addRels(node: ReadNode, schema: string, cache: SchemaCache): void {
  for (const child of node.children) {
    const origin = child.depth === 1 ? (node.fromAlias ?? node.from.name) : node.from.name;
    const rel = findRelationship(schema, cache.relationships, origin, child.name, child.hint);
    child.rel = rel;
    child.from = rel.kind === 'computed' ? rel.fn : rel.foreignTable;
    child.table = cache.tables.get(qiKey(rel.foreignTable.schema, rel.foreignTable.name));
    child.aggAlias = `${rel.table.name}_${child.alias ?? child.name}_${child.depth}`;
    if (rel.kind === 'computed' || rel.card.kind !== 'm2m') child.fromAlias = `${rel.foreignTable.name}_${child.depth}`;
    if (child.spread !== 'none' && !relIsToOne(rel)) child.spread = 'to-many';
    addRels(child, schema, cache);
  }
}

/**
 * expandStars: a to-many spread (and what it embeds), and a node with an aggregate in it or
 * above it (expandStarsForTable), list their columns instead of `*`; a spread's `count()`
 * counts its full row, named `count` (addAliases fieldAliasForSpreadAgg).
 */
function expandStars(node: ReadNode, inToMany: boolean, hasAgg: boolean): void {
  const expand = inToMany || node.spread === 'to-many';
  const agg = hasAgg || node.select.some((f) => f.aggregate !== undefined);
  if ((expand || agg) && node.table) {
    const cols = node.table.columnList;
    node.select = node.select.flatMap((f) => (f.field.name === '*' && f.field.jsonPath.length === 0 && f.aggregate === undefined
      ? cols.map((c): SelectField => ({ kind: 'field', field: { name: c.name, jsonPath: [] } }))
      : [f]));
  }
  if (node.spread !== 'none') {
    node.select = node.select.map((f) => (f.aggregate === 'count' && f.field.name === '*' && f.field.jsonPath.length === 0
      ? { ...f, fullRow: true, alias: f.alias ?? 'count' }
      : f));
  }
  for (const c of node.children) expandStars(c, expand, agg);
}

/** addRelatedOrders: `order=rel(col)` needs `rel` embedded and to-one. */
function checkRelatedOrders(node: ReadNode): void {
  for (const t of node.order) {
    if (t.relation === undefined) continue;
    const child = node.children.find((c) => (c.alias ?? c.name) === t.relation);
    if (!child) throw notEmbedded(t.relation);
    if (!child.rel || !relIsToOne(child.rel)) throw relatedOrderNotToOne(node.from.name, child.alias ?? child.name);
  }
  for (const c of node.children) checkRelatedOrders(c);
}

/**
 * hoistSpreadAggFunctions: a to-one spread's aggregates move up to the nearest node that is
 * the root or a JSON embed, applied there to the spread's columns (so
 * `client_id,...invoices(total.sum())` sums per client_id); returns what `node` passes up.
 */
function hoistSpreadAggregates(node: ReadNode): Array<[string, HoistedAggregate]> {
  const fromChildren = node.children.flatMap(hoistSpreadAggregates);
  if (node.depth === 0 || node.spread === 'none') {
    for (const [k, h] of fromChildren) node.spreadAggs.set(k, h);
    return [];
  }
  const own: Array<[string, HoistedAggregate]> = [];
  node.select = node.select.map((f) => {
    if (f.aggregate === undefined) return f;
    const h: HoistedAggregate = { aggregate: f.aggregate };
    if (f.aggregateCast !== undefined) h.aggregateCast = f.aggregateCast;
    if (f.alias !== undefined) h.alias = f.alias;
    own.push([hoistKey(node.aggAlias, f.alias ?? f.field.name), h]); // determineFieldName
    const { aggregate: _a, aggregateCast: _c, ...plain } = f;
    return plain;
  });
  const rekey = (k: string): string => hoistKey(node.aggAlias, k.slice(k.indexOf('\u0000') + 1));
  return [...own, ...fromChildren.map(([k, h]): [string, HoistedAggregate] => [rekey(k), h])];
}

function checkAggregates(node: ReadNode): void {
  if (node.select.some((f) => f.aggregate !== undefined)) throw aggregatesNotAllowed();
  for (const c of node.children) checkAggregates(c);
}

/** The name a select field has in the row (alias, JSON path key, or column). */
export function selectedName(f: SelectField): string {
  return f.alias ?? implicitAlias(f.field) ?? f.field.name;
}

/** generateSpreadSelectFields: what a spread contributes to its parent's row. */
export function spreadFields(node: ReadNode): SpreadField[] {
  const own = node.select.map((f) => ({ name: selectedName(f) }));
  const rels = node.children.flatMap((c): SpreadField[] => (c.spread === 'none' ? [{ name: c.alias ?? c.name }] : spreadFields(c)));
  return [...own, ...rels];
}

/** addToManyOrderSelects: a to-many spread's order becomes selected columns ordered in json_agg. */
function addToManyOrderSelects(node: ReadNode): void {
  if (node.spread === 'to-many') {
    node.order.forEach((t, i) => {
      const alias = `${node.aggAlias}_${t.field.name}_${i + 1}`;
      const entry: { alias: string; term: OrderTerm; relationAlias?: string } = { alias, term: t };
      if (t.relation !== undefined) {
        const child = node.children.find((c) => (c.alias ?? c.name) === t.relation);
        if (child) entry.relationAlias = child.aggAlias;
      }
      node.spreadOrderSelects.push(entry);
      const o: OrderTerm = { field: { name: alias, jsonPath: [] } };
      if (t.direction !== undefined) o.direction = t.direction;
      if (t.nulls !== undefined) o.nulls = t.nulls;
      node.spreadOrder.push(o);
    });
    node.order = [];
  }
  for (const c of node.children) addToManyOrderSelects(c);
}

function restrictTree(node: ReadNode, maxRows: number | null): void {
  node.range = restrictRange(node.range, maxRows);
  for (const c of node.children) restrictTree(c, maxRows);
}

export interface PlanInput {
  query: QueryParams;
  schema: string;
  cache: SchemaCache;
  /** The relation the root reads (its name is the origin of depth-1 embeds). */
  root: QI;
  action: PlanAction;
  /** Top-level range (reads/RPC); embeds take theirs from `rel.limit`/`rel.offset`. */
  rootRange: RowRange;
  maxRows: number | null;
  /** db-aggregates-enabled: otherwise any aggregate is PGRST123. */
  aggregatesEnabled: boolean;
}

export function buildReadPlan(input: PlanInput): ReadNode {
  const { query, schema, cache, root: rootQi, action } = input;
  const root = newNode(rootQi.name, rootQi, cache, 0);
  if (action !== 'read') { root.fromSource = true; root.fromAlias = rootQi.name; }
  addItems(root, query.select, cache);

  for (const f of query.filters) {
    if (action === 'mutate' && f.path.length === 0) continue;
    nodeAt(root, f.path).filters.push(f.filter);
  }
  for (const o of query.order) nodeAt(root, o.path).order = o.terms;
  if (action !== 'mutate') {
    root.range = input.rootRange;
    const paths = new Set([...query.limits.keys(), ...query.offsets.keys()].filter((k) => k !== ''));
    for (const k of paths) nodeAt(root, k.split('.')).range = embedRange(query.limits.get(k), query.offsets.get(k));
  }
  for (const l of query.logic) {
    if (action === 'mutate' && l.path.length === 0) continue;
    nodeAt(root, l.path).logic.push(l.tree);
  }

  addRels(root, schema, cache);
  expandStars(root, false, false);
  checkRelatedOrders(root);
  if (!input.aggregatesEnabled) checkAggregates(root);
  if (hasToManySpreadAggregate(root)) throw notImplemented('Aggregates are not implemented for one-to-many or many-to-many spreads.');
  hoistSpreadAggregates(root);
  addToManyOrderSelects(root);
  if (action !== 'mutate') {
    const top = root.range;
    restrictTree(root, input.maxRows);
    root.range = top;
  }
  return root;
}

function hasToManySpreadAggregate(node: ReadNode): boolean {
  return (node.spread === 'to-many' && node.select.some((f) => f.aggregate !== undefined)) || node.children.some(hasToManySpreadAggregate);
}

/**
 * inferColsEmbedNeeds: the columns a mutation must RETURN so its embeds can join —
 * the selected ones plus each embed's key columns and the primary key; `*` when any
 * is `*` or a computed relationship is embedded.
 */
export function returningColumns(root: ReadNode, pk: string[]): string[] {
  const names = root.select.map((f) => f.field.name);
  if (names.includes('*') || root.children.some((c) => c.rel?.kind === 'computed')) return ['*'];
  const fkCols = root.children.flatMap((c) => {
    const r = c.rel;
    if (!r || r.kind === 'computed') return [];
    return r.card.kind === 'm2m' ? r.card.sourceColumns.map(([a]) => a) : r.card.columns.map(([a]) => a);
  });
  return [...new Set([...names, ...fkCols, ...pk])];
}
