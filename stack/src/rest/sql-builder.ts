import { undefinedType } from './errors.ts';
import type { AggregateFn, Field, Filter, LogicTree, OrderTerm, QuantOp, SelectField, SimpleOp } from './grammar.ts';
import type { Column, SchemaCache } from './schema-cache.ts';

/**
 * SQL fragments in PostgREST's shapes (Query/SqlFragment.hs, Query/QueryBuilder.hs).
 * Every value from the request is a bind parameter sent untyped (`unknown`, as
 * PostgREST sends them) so PostgreSQL infers its type from the column; identifiers are
 * always double-quoted (quotes doubled, NUL cut); the only unquoted words are fixed
 * keywords, catalog text (types, defaults) and casts validated against pg_type names.
 */

export class Params {
  readonly values: Array<string | null> = [];
  add(v: string | null): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** PostgREST's escapeIdent: trim at NUL, double the quotes, wrap in quotes. */
export function ident(name: string): string {
  const nul = name.indexOf('\0');
  const n = nul >= 0 ? name.slice(0, nul) : name;
  return `"${n.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return schema === '' ? ident(name) : `${ident(schema)}.${ident(name)}`;
}

/** `"a", "b"` for search_path (escapeIdentList). */
export function identList(names: string[]): string {
  return names.map(ident).join(', ');
}

/** A SQL string literal for catalog-derived text (never request input). */
export function literal(s: string): string {
  const escaped = `'${s.replace(/'/g, "''")}'`;
  return s.includes('\\') ? `E${escaped.replace(/\\/g, '\\\\')}` : escaped;
}

/** Where a field lives: the qualifier used before column names and how to look columns up. */
export interface FieldContext {
  qualifier: string;
  column(name: string): Column | undefined;
  /** `embed=is.null` / `embed=not.is.null` on an embedded resource: its SQL, if `name` is one. */
  nullEmbed?: (name: string, negated: boolean) => string | undefined;
}

/** A `::cast` from the request: accepted only if it names a type PostgreSQL knows. */
export function castType(raw: string, cache: SchemaCache): string {
  const t = raw.trim().replace(/\s+/g, ' ');
  if (!/^[A-Za-z_][A-Za-z0-9_ ]*$/.test(t) || !cache.typeNames.has(t.toLowerCase())) throw undefinedType(raw.trim());
  return t;
}

function jsonPathSql(f: Field, p: Params): string {
  return f.jsonPath.map((op) => `${op.arrow}${op.index ? `${p.add(op.value)}::int` : p.add(op.value)}`).join('');
}

/** pgFmtField: column, JSON path (via to_jsonb unless already json/jsonb), optional to_tsvector. */
export function fieldSql(ctx: FieldContext, f: Field, p: Params, tsLanguage?: { language: string | undefined }): string {
  if (f.name === '*' && f.jsonPath.length === 0) return `${ctx.qualifier}.*`;
  const col = ctx.column(f.name);
  const base = `${ctx.qualifier}.${ident(f.name)}`;
  let sql = base;
  if (f.jsonPath.length > 0) {
    const isJson = col?.baseType === 'json' || col?.baseType === 'jsonb';
    sql = `${isJson ? base : `to_jsonb(${base})`}${jsonPathSql(f, p)}`;
  }
  if (tsLanguage && col && col.baseType !== 'tsvector' && f.jsonPath.length === 0) {
    sql = `to_tsvector(${tsLanguage.language !== undefined ? `${p.add(tsLanguage.language)}, ` : ''}${sql})`;
  }
  return sql;
}

/** The name a JSON-path select item gets without an alias: its last key. */
export function implicitAlias(f: Field): string | undefined {
  const last = f.jsonPath[f.jsonPath.length - 1];
  if (!last) return undefined;
  if (!last.index) return last.value;
  const lastKey = [...f.jsonPath].reverse().find((o) => !o.index);
  return lastKey ? lastKey.value : f.name;
}

/** pgFmtApplyAggregate: `SUM(x)`, then the aggregate's cast around it. */
export function aggregateSql(fn: AggregateFn | undefined, aggregateCast: string | undefined, sql: string, cache: SchemaCache): string {
  if (fn === undefined) return sql;
  const agg = `${fn.toUpperCase()}(${sql})`;
  return aggregateCast !== undefined ? `CAST( ${agg} AS ${castType(aggregateCast, cache)} )` : agg;
}

/** pgFmtSelectItem: field (or a spread count's full row), cast, aggregate, alias. */
export function selectItemSql(ctx: FieldContext, item: SelectField, p: Params, cache: SchemaCache): string {
  let sql = item.fullRow ? ctx.qualifier : fieldSql(ctx, item.field, p);
  if (item.cast !== undefined) sql = `CAST( ${sql} AS ${castType(item.cast, cache)} )`;
  sql = aggregateSql(item.aggregate, item.aggregateCast, sql, cache);
  // addAliases: an aggregate keeps PostgreSQL's name (`sum`), not its JSON path's last key.
  const alias = item.alias ?? (item.aggregate === undefined ? implicitAlias(item.field) : undefined);
  return alias !== undefined ? `${sql} AS ${ident(alias)}` : sql;
}

/** pgFmtGroup: a selected field that is not aggregated, by its alias when it has one. */
export function groupTermSql(ctx: FieldContext, item: SelectField, p: Params): string | undefined {
  if (item.aggregate !== undefined) return undefined;
  const alias = item.alias ?? implicitAlias(item.field);
  return alias !== undefined ? ident(alias) : fieldSql(ctx, item.field, p);
}

const QUANT_SQL: Record<QuantOp, string> = { eq: '=', gte: '>=', gt: '>', lte: '<=', lt: '<', like: 'like', ilike: 'ilike', match: '~', imatch: '~*' };
const SIMPLE_SQL: Record<SimpleOp, string> = { neq: '<>', cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxr: '&<', nxl: '&>', adj: '-|-' };
const FTS_SQL = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' } as const;
const IS_SQL = { null: 'NULL', not_null: 'NOT NULL', true: 'TRUE', false: 'FALSE', unknown: 'UNKNOWN' } as const;

/** pgBuildArrayLiteral: every element double-quoted with `\` and `"` escaped. */
export function arrayLiteral(values: string[]): string {
  const esc = (v: string): string => {
    const nul = v.indexOf('\0');
    const t = nul >= 0 ? v.slice(0, nul) : v;
    return `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  };
  return `{${values.map(esc).join(',')}}`;
}

/** pgFmtFilter. */
export function filterSql(ctx: FieldContext, flt: Filter, p: Params): string {
  const { negated, operation: op } = flt.expr;
  if (ctx.nullEmbed && op.kind === 'is' && op.value === 'null' && flt.field.jsonPath.length === 0) {
    const embed = ctx.nullEmbed(flt.field.name, negated);
    if (embed !== undefined) return embed;
  }
  const not = negated ? 'NOT ' : '';
  const fld = fieldSql(ctx, flt.field, p, op.kind === 'fts' ? { language: op.language } : undefined);
  switch (op.kind) {
    case 'quant': {
      const value = op.op === 'like' || op.op === 'ilike' ? op.value.replace(/\*/g, '%') : op.value;
      const v = p.add(value);
      const rhs = op.quantifier === 'any' ? `ANY(${v})` : op.quantifier === 'all' ? `ALL(${v})` : v;
      return `${not}${fld} ${QUANT_SQL[op.op]} ${rhs}`;
    }
    case 'simple': return `${not}${fld} ${SIMPLE_SQL[op.op]} ${p.add(op.value)}`;
    case 'in':
      return op.values.length === 1 && op.values[0] === ''
        ? `${not}${fld} = ANY('{}')`
        : `${not}${fld} = ANY (${p.add(arrayLiteral(op.values))})`;
    case 'is': return `${not}${fld} IS ${IS_SQL[op.value]}`;
    case 'isdistinct': return `${not}${fld} IS DISTINCT FROM ${p.add(op.value)}`;
    case 'fts':
      return `${not}${fld} @@ ${FTS_SQL[op.op]}(${op.language !== undefined ? `${p.add(op.language)}, ` : ''}${p.add(op.value)})`;
  }
}

export function logicTreeSql(ctx: FieldContext, t: LogicTree, p: Params): string {
  if (t.kind === 'stmt') return filterSql(ctx, t.filter, p);
  const inner = t.children.map((c) => logicTreeSql(ctx, c, p)).join(t.op === 'and' ? ' AND ' : ' OR ');
  return `${t.negated ? 'NOT ' : ''}(${inner})`;
}

export function orderSql(ctx: FieldContext, terms: OrderTerm[], p: Params): string {
  if (terms.length === 0) return '';
  const parts = terms.map((t) => {
    const dir = t.direction === 'desc' ? ' DESC' : t.direction === 'asc' ? ' ASC' : '';
    const nulls = t.nulls === 'first' ? ' NULLS FIRST' : t.nulls === 'last' ? ' NULLS LAST' : '';
    return `${fieldSql(ctx, t.field, p)}${dir}${nulls}`;
  });
  return `ORDER BY ${parts.join(', ')}`;
}

export function limitOffsetSql(limit: number | null, offset: number, p: Params): string {
  if (limit === null && offset === 0) return '';
  return `LIMIT ${limit === null ? 'ALL' : p.add(String(limit))} OFFSET ${p.add(String(offset))}`;
}

/** The WHERE clause for filters and logic trees (AND-ed), or ''. */
export function whereSql(ctx: FieldContext, filters: Filter[], trees: LogicTree[], p: Params): string {
  const conds = [...filters.map((f) => filterSql(ctx, f, p)), ...trees.map((t) => logicTreeSql(ctx, t, p))];
  return conds.length ? `WHERE ${conds.join(' AND ')}` : '';
}

// Response bodies (handlerF) --------------------------------------------------------------

export type BodyHandler =
  | { kind: 'json'; strip: boolean }
  | { kind: 'singular'; strip: boolean }
  | { kind: 'csv' }
  | { kind: 'none' };

/** How a function's result is aggregated (asJsonF / asJsonSingleF with a routine). */
export type RoutineShape = 'rows' | 'single-composite' | 'scalar' | 'setof-scalar';

export function bodySql(h: BodyHandler, shape: RoutineShape = 'rows'): string {
  const strip = (s: string, on: boolean): string => (on ? `json_strip_nulls(${s})` : s);
  const scalar = shape === 'scalar' || shape === 'setof-scalar';
  const agg = scalar ? 'json_agg(_postgrest_t.pgrst_scalar)' : 'json_agg(_postgrest_t)';
  switch (h.kind) {
    case 'none': return `''::text`;
    case 'csv':
      return `((SELECT coalesce(string_agg(a.k, ','), '') FROM (SELECT json_object_keys(r)::text as k FROM (SELECT row_to_json(hh) as r from pgrst_source as hh limit 1) s) a)`
        + ` || chr(10) || coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), chr(10)), ''))`;
    case 'singular': return `coalesce(${strip(`${agg}->0`, h.strip)}, 'null')::text`;
    case 'json':
      if (shape === 'single-composite' || shape === 'scalar') return `coalesce(${strip(`${agg}->0`, h.strip)}, 'null')::text`;
      return `coalesce(${strip(agg, h.strip)}, '[]')::text`;
  }
}

export const RESPONSE_GUCS_SQL = `nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status`;
