import { hoistKey, spreadFields, type ReadNode, type SpreadField } from './embed-plan.ts';
import type { OrderTerm } from './grammar.ts';
import { relIsToOne } from './relationships.ts';
import type { Column, SchemaCache } from './schema-cache.ts';
import {
  aggregateSql, fieldSql, filterSql, groupTermSql, ident, limitOffsetSql, logicTreeSql, qualified, selectItemSql,
  type FieldContext, type Params,
} from './sql-builder.ts';

/**
 * The read plan tree as SQL, in PostgREST v14's shapes (QueryBuilder.hs readPlanToQuery,
 * getJoinSelects/getJoins, readPlanToCountQuery): every embed is a correlated
 * `LEFT|INNER JOIN LATERAL ( … ) AS "<parent>_<name>_<depth>" ON …` — to-one as
 * `row_to_json(…)::jsonb`, to-many as `COALESCE(json_agg(…)::jsonb, '[]')`, spreads as
 * their columns (to-many spreads as one array per column). It all runs in the request's
 * transaction as the request's role, so RLS applies to every embedded table.
 */

/** getQualifiedIdentifier: how the node's columns are qualified. */
function qualifierOf(n: ReadNode): string {
  return n.fromAlias !== undefined ? ident(n.fromAlias) : qualified(n.from.schema, n.from.name);
}

function parentQualifier(n: ReadNode, parent: ReadNode): string {
  const rel = n.rel;
  if (parent.fromAlias !== undefined || !rel) return qualifierOf(parent);
  return qualified(rel.table.schema, rel.table.name);
}

/** fromF: the FROM item (a computed relationship calls its function on the parent row). */
function fromSql(n: ReadNode, parent: ReadNode | undefined): string {
  if (n.fromSource) return `FROM pgrst_source AS ${ident(n.fromAlias ?? n.from.name)}`;
  const rel = n.rel;
  const alias = n.fromAlias !== undefined ? ` AS ${ident(n.fromAlias)}` : '';
  if (rel?.kind === 'computed' && parent) {
    const arg = ident(parent.fromAlias ?? rel.table.name);
    return `FROM ${qualified(rel.fn.schema, rel.fn.name)}(${arg}::${qualified(rel.table.schema, rel.table.name)})${alias}`;
  }
  const junction = rel?.kind === 'fk' && rel.card.kind === 'm2m' ? `, ${qualified(rel.card.junction.schema, rel.card.junction.name)}` : '';
  return `FROM ${qualified(n.from.schema, n.from.name)}${alias}${junction}`;
}

/** getJoinConditions. */
function joinConditions(n: ReadNode, parent: ReadNode): string[] {
  const rel = n.rel;
  if (!rel || rel.kind === 'computed') return [];
  const up = parentQualifier(n, parent);
  const c = rel.card;
  if (c.kind === 'm2m') {
    const j = qualified(c.junction.schema, c.junction.name);
    const f = qualified(rel.foreignTable.schema, rel.foreignTable.name);
    return [
      ...c.targetColumns.map(([fc, jc]) => `${j}.${ident(jc)} = ${f}.${ident(fc)}`),
      ...c.sourceColumns.map(([tc, jc]) => `${j}.${ident(jc)} = ${up}.${ident(tc)}`),
    ];
  }
  const me = qualifierOf(n);
  return c.columns.map(([col, fcol]) => `${me}.${ident(fcol)} = ${up}.${ident(col)}`);
}

const childNamed = (n: ReadNode, name: string): ReadNode | undefined => n.children.find((c) => (c.alias ?? c.name) === name);

/** A related relation's output columns, typed as json so JSON paths apply without to_jsonb (unknownField). */
const relatedCtx = (qualifier: string): FieldContext => ({ qualifier, column: () => ({ baseType: 'json' } as Column) });

function orderSql(ctx: FieldContext, n: ReadNode, terms: OrderTerm[], p: Params): string {
  if (terms.length === 0) return '';
  return `ORDER BY ${terms.map((t) => {
    const child = t.relation !== undefined ? childNamed(n, t.relation) : undefined;
    const fctx = child ? relatedCtx(ident(child.aggAlias)) : ctx;
    const dir = t.direction === 'desc' ? ' DESC' : t.direction === 'asc' ? ' ASC' : '';
    const nulls = t.nulls === 'first' ? ' NULLS FIRST' : t.nulls === 'last' ? ' NULLS LAST' : '';
    return `${fieldSql(fctx, t.field, p)}${dir}${nulls}`;
  }).join(', ')}`;
}

/** rsEmptyEmbed: nothing selected in it or below it (`rel()` only filters or joins). */
function isEmptyEmbed(n: ReadNode): boolean {
  return n.select.length === 0 && n.children.every(isEmptyEmbed);
}

function whereSql(parts: string[]): string {
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/** pgFmtSpreadSelectItem: a spread column in its parent's row, with an aggregate hoisted onto it. */
function spreadItemSql(n: ReadNode, c: ReadNode, f: SpreadField, cache: SchemaCache): string {
  const agg = ident(c.aggAlias);
  const col = f.name === '*' ? `${agg}.*` : `${agg}.${ident(f.name)}`;
  const h = n.spreadAggs.get(hoistKey(c.aggAlias, f.name));
  if (!h) return col;
  const sql = aggregateSql(h.aggregate, h.aggregateCast, col, cache);
  return h.alias !== undefined ? `${sql} AS ${ident(h.alias)}` : sql;
}

/** readPlanToQuery for one node (and, through its joins, its subtree). */
export function readNodeSql(n: ReadNode, parent: ReadNode | undefined, p: Params, cache: SchemaCache): string {
  const qual = qualifierOf(n);
  const ctx: FieldContext = {
    qualifier: qual,
    column: (c) => n.table?.columns.get(c),
    nullEmbed: (name, negated) => {
      const child = childNamed(n, name);
      return child ? `${ident(child.aggAlias)} IS ${negated ? '' : 'NOT '}DISTINCT FROM NULL` : undefined;
    },
  };
  const selects = n.select.length === 0 && n.children.length === 0 ? [`${qual}.*`] : n.select.map((f) => selectItemSql(ctx, f, p, cache));
  const extra = n.spreadOrderSelects.map((e) =>
    `${fieldSql(e.relationAlias !== undefined ? relatedCtx(ident(e.relationAlias)) : ctx, e.term.field, p)} AS ${ident(e.alias)}`);
  const joinSelects: string[] = [];
  const joins: string[] = [];
  // groupF: with an aggregate here (or hoisted from a spread), the other selected fields and embeds.
  const groupTerms: string[] = n.select.flatMap((f) => groupTermSql(ctx, f, p) ?? []);
  for (const c of n.children) {
    const agg = ident(c.aggAlias);
    const name = ident(c.alias ?? c.name);
    const toOne = c.rel !== undefined && relIsToOne(c.rel);
    if (c.spread !== 'none') {
      joinSelects.push(...spreadFields(c).map((f) => spreadItemSql(n, c, f, cache)));
      groupTerms.push(...spreadFields(c).filter((f) => !n.spreadAggs.has(hoistKey(c.aggAlias, f.name))).map((f) => `${agg}.${ident(f.name)}`));
    } else if (!isEmptyEmbed(c)) {
      joinSelects.push(toOne ? `row_to_json(${agg}.*)::jsonb AS ${name}` : `COALESCE( ${agg}.${agg}, '[]') AS ${name}`);
    }
    if (c.spread === 'none') groupTerms.push(name);
    const sub = readNodeSql(c, n, p, cache);
    const join = (body: string, cond: string): string => `${c.joinType === 'inner' ? 'INNER' : 'LEFT'} JOIN LATERAL ( ${body} ) AS ${agg} ON ${cond}`;
    const manyCond = c.joinType === 'inner' ? `${agg} IS NOT NULL` : 'TRUE';
    if (toOne) {
      joins.push(join(sub, 'TRUE'));
    } else if (c.spread === 'to-many') {
      const aggOrder = orderSql(relatedCtx(agg), c, c.spreadOrder, p);
      const cols = spreadFields(c).map((f) => `COALESCE(json_agg(${agg}.${ident(f.name)} ${aggOrder}),'[]')::jsonb AS ${ident(f.name)}`);
      joins.push(join(`SELECT json_agg(${agg})::jsonb AS ${agg}${cols.length ? `, ${cols.join(', ')}` : ''} FROM (${sub} ) AS ${agg}`, manyCond));
    } else {
      joins.push(join(`SELECT json_agg(${agg})::jsonb AS ${agg} FROM (${sub} ) AS ${agg}`, manyCond));
    }
  }
  const conds = [
    ...n.filters.map((f) => filterSql(ctx, f, p)),
    ...n.logic.map((t) => logicTreeSql(ctx, t, p)),
    ...(parent ? joinConditions(n, parent) : []),
  ];
  const aggregated = n.select.some((f) => f.aggregate !== undefined) || n.spreadAggs.size > 0;
  const groupBy = aggregated && groupTerms.length > 0 ? ` GROUP BY ${groupTerms.join(', ')}` : '';
  return `SELECT ${[...selects, ...extra, ...joinSelects].join(', ')} ${fromSql(n, parent)} ${joins.join(' ')} ${whereSql(conds)} `
    + `${groupBy} ${orderSql(ctx, n, n.order, p)} ${limitOffsetSql(n.range.limit, n.range.offset, p)}`;
}

/**
 * readPlanToCountQuery: the rows the root would return before paging — its filters,
 * `!inner` embeds and `embed=is.null` filters as EXISTS subqueries instead of joins.
 */
export function countNodeSql(n: ReadNode, parent: ReadNode | undefined, p: Params): string {
  const ctx: FieldContext = {
    qualifier: qualifierOf(n),
    column: (c) => n.table?.columns.get(c),
    nullEmbed: (name, negated) => {
      const child = childNamed(n, name);
      return child ? `${negated ? '' : 'NOT '}EXISTS (${countNodeSql(child, n, p)})` : undefined;
    },
  };
  const conds = [
    ...n.filters.map((f) => filterSql(ctx, f, p)),
    ...n.logic.map((t) => logicTreeSql(ctx, t, p)),
    ...(parent ? joinConditions(n, parent) : []),
    ...n.children.filter((c) => c.joinType === 'inner').map((c) => `EXISTS (${countNodeSql(c, n, p)} )`),
  ];
  return `SELECT 1 ${fromSql(n, parent)} ${whereSql(conds)}`;
}

