import type { AuthResult } from '../auth.ts';
import { returningColumns, type ReadNode } from '../embed-plan.ts';
import { readNodeSql } from '../embed-sql.ts';
import {
  columnNotFound, invalidBody, invalidFilters, maxAffectedViolation, putLimitNotAllowed, putMatchingPk, safeUpdate,
  singularityError, type RestError,
} from '../errors.ts';
import { negotiate } from '../media.ts';
import type { Payload } from '../payload.ts';
import { preferenceApplied, shouldCount } from '../prefer.ts';
import { urlEncode } from '../query-string.ts';
import { contentRange } from '../range.ts';
import type { ApiRequest } from '../request.ts';
import type { RestResponse } from '../respond.ts';
import type { Column, Table } from '../schema-cache.ts';
import {
  arrayLiteral, bodySql, filterSql, ident, Params, qualified, RESPONSE_GUCS_SQL, whereSql,
  type BodyHandler, type FieldContext,
} from '../sql-builder.ts';
import { inTransaction, type TxOptions } from '../tx.ts';
import { bodyHandlerFor, contentHeaders, isSingular } from './body-media.ts';
import { findTable, planRead, type RestContext } from './context.ts';
import { explainResponse } from './explain.ts';
import { applyGucs, type ResultRow } from './gucs.ts';
import { checkStrictPrefs } from './strict-prefs.ts';
import { txVars } from './tx-vars.ts';

/**
 * POST (insert, bulk, upsert), PATCH, PUT and DELETE on a table, in PostgREST's SQL
 * shapes (QueryBuilder.hs mutatePlanToQuery, Statements.hs prepareWrite) and with its
 * statuses and headers (Response.hs).
 */

type Mutation = 'create' | 'update' | 'delete' | 'upsert-single';

const INSERTED_GUC = `nullif(current_setting('pgrst.inserted', true), '')`;
const COUNT_INSERT = `set_config('pgrst.inserted', (coalesce(${INSERTED_GUC}::int, 0) + 1)::text, true) <> '0'`;
const COUNT_UPDATE = `set_config('pgrst.inserted', (coalesce(${INSERTED_GUC}::int, 0) - 1)::text, true) <> '-1'`;

/** Columns named by the payload (or `columns=`), checked against the cache (PGRST204). */
async function typedColumns(ctx: RestContext, table: Table, keys: string[]): Promise<Column[]> {
  let t = table;
  const missing = keys.find((k) => !t.columns.has(k));
  if (missing !== undefined) {
    await ctx.cache.refreshAfterMiss();
    t = await findTable(ctx, table.schema, table.name);
  }
  return keys.map((k) => {
    const c = t.columns.get(k);
    if (!c) throw columnNotFound(t.name, k);
    return c;
  });
}

/** fromJsonBodyF: the body as rows of typed columns, optionally with column defaults for missing keys. */
function jsonBodySql(payload: Extract<Payload, { kind: 'json' }>, cols: Column[], p: Params, opts: { select: boolean; limitOne: boolean; defaults: boolean }): string {
  const obj = payload.isObject;
  const named = cols.map((c) => `"pgrst_body".${ident(c.name)}`).join(', ');
  const typed = cols.map((c) => `${ident(c.name)} ${c.type}`).join(', ');
  const param = p.add(payload.raw);
  let from = `FROM (SELECT ${param}::${opts.defaults ? 'jsonb' : 'json'} AS json_data) pgrst_payload, `;
  let source = 'pgrst_payload.json_data';
  if (opts.defaults) {
    const defs = cols.filter((c) => c.default !== null).map((c) => `${p.add(c.name)}::text, ${c.default as string}`).join(', ');
    from += obj
      ? `LATERAL (SELECT jsonb_build_object(${defs}) || pgrst_payload.json_data AS val) pgrst_json_defs, `
      : `LATERAL (SELECT jsonb_agg(jsonb_build_object(${defs}) || elem) AS val FROM jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs, `;
    source = 'pgrst_json_defs.val';
  }
  const fn = `${opts.defaults ? 'jsonb' : 'json'}_to_record${obj ? '' : 'set'}`;
  const rows = cols.length === 0
    ? (obj ? '(values(1)) _' : `${opts.defaults ? 'jsonb' : 'json'}_array_elements(${source}) _`)
    : `${fn}(${source}) AS _(${typed}) ${opts.limitOne ? 'LIMIT 1' : ''}`;
  from += `LATERAL (SELECT ${cols.map((c) => ident(c.name)).join(', ')} FROM ${rows}) pgrst_body `;
  return `${opts.select ? `SELECT ${named} ` : ''}${from}`;
}

/** returningF with inferColsEmbedNeeds: what the representation and its embeds read. */
function returningSql(qual: string, req: ApiRequest, plan: ReadNode, pk: string[]): string {
  const rep = req.prefs.representation;
  if (rep === undefined || rep === 'minimal') return 'RETURNING 1';
  const names = plan.select.length === 0 && plan.children.length === 0 ? ['*'] : returningColumns(plan, pk);
  if (names.includes('*')) return `RETURNING ${qual}.*`;
  return `RETURNING ${names.map((n) => `${qual}.${ident(n)}`).join(', ')}`;
}

export async function handleWrite(ctx: RestContext, req: ApiRequest, auth: AuthResult, tableName: string): Promise<RestResponse> {
  const mutation: Mutation = req.method === 'POST' ? 'create' : req.method === 'PATCH' ? 'update' : req.method === 'PUT' ? 'upsert-single' : 'delete';
  let table = await findTable(ctx, req.schema, tableName);
  const { plan, cache } = await planRead(ctx, {
    query: req.query, schema: req.schema, root: { schema: table.schema, name: table.name }, action: 'mutate',
    rootRange: { offset: 0, limit: null }, maxRows: null,
  });

  const qual = qualified(table.schema, table.name);
  const fctx: FieldContext = { qualifier: qual, column: (n) => table.columns.get(n) };
  const rootFilters = req.query.filters.filter((f) => f.path.length === 0).map((f) => f.filter);
  const rootLogic = req.query.logic.filter((l) => l.path.length === 0).map((l) => l.tree);
  const prefs = req.prefs;
  const p = new Params();

  let payload: Extract<Payload, { kind: 'json' }> | undefined;
  if (mutation !== 'delete') {
    if (!req.payload || req.payload.kind !== 'json') throw invalidBody('Empty or invalid json');
    payload = req.payload;
  }
  const cols = payload ? await typedColumns(ctx, table, payload.keys) : [];
  table = await findTable(ctx, req.schema, tableName);

  let statement: string;
  let countsInserted = false;
  const returning = returningSql(qual, req, plan, table.pk);
  if (mutation === 'create' || mutation === 'upsert-single') {
    if (!payload) throw invalidBody('Empty or invalid json');
    let conflict = '';
    const where: string[] = [];
    if (mutation === 'upsert-single') {
      if (req.query.limits.has('') || req.query.offsets.has('')) throw putLimitNotAllowed();
      const pk = table.pk;
      const fieldSet = new Set(req.query.filterFields);
      const onlyPkEq = rootLogic.length === 0 && pk.length > 0 && fieldSet.size === pk.length && pk.every((c) => fieldSet.has(c))
        && rootFilters.every((f) => !f.expr.negated && f.expr.operation.kind === 'quant' && f.expr.operation.op === 'eq' && f.expr.operation.quantifier === undefined);
      if (!onlyPkEq) throw invalidFilters();
      const bodyCtx: FieldContext = { qualifier: '"pgrst_body"', column: (n) => table.columns.get(n) };
      where.push(...rootFilters.map((f) => filterSql(bodyCtx, f, p)));
      conflict = ` ON CONFLICT(${pk.map(ident).join(', ')}) DO UPDATE SET ${cols.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')} WHERE ${COUNT_UPDATE}`;
      where.push(COUNT_INSERT);
      countsInserted = true;
    } else if (prefs.resolution !== undefined) {
      const target = req.query.onConflict ?? table.pk;
      if (target.length > 0) {
        const merge = prefs.resolution === 'merge-duplicates' && cols.length > 0;
        conflict = ` ON CONFLICT(${target.map(ident).join(', ')}) ${merge
          ? `DO UPDATE SET ${cols.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(', ')} WHERE ${COUNT_UPDATE}`
          : 'DO NOTHING'}`;
        if (prefs.resolution === 'merge-duplicates') { where.push(COUNT_INSERT); countsInserted = true; }
      }
    }
    const body = jsonBodySql(payload, cols, p, { select: true, limitOne: false, defaults: mutation === 'create' && prefs.missing === 'default' });
    statement = `INSERT INTO ${qual}${cols.length ? `(${cols.map((c) => ident(c.name)).join(', ')})` : ''} ${body}${where.length ? `WHERE ${where.join(' AND ')}` : ''}${conflict} ${returning}`;
  } else if (mutation === 'update') {
    if (!payload) throw invalidBody('Empty or invalid json');
    if (cols.length === 0) {
      // Nothing to set: an empty result that still has the table's columns for ?select=.
      statement = `SELECT ${returning === 'RETURNING 1' ? 'NULL' : returning.slice('RETURNING '.length)} FROM ${qual} WHERE false`;
    } else {
      const where = whereSql(fctx, rootFilters, rootLogic, p);
      if (where === '' && ctx.config.safeUpdate) throw safeUpdate('UPDATE');
      const body = jsonBodySql(payload, cols, p, { select: false, limitOne: false, defaults: prefs.missing === 'default' });
      const set = cols.map((c) => `${ident(c.name)} = "pgrst_body".${ident(c.name)}`).join(', ');
      statement = `UPDATE ${qual} SET ${set} ${body}${where} ${returning}`;
    }
  } else {
    const where = whereSql(fctx, rootFilters, rootLogic, p);
    if (where === '' && ctx.config.safeUpdate) throw safeUpdate('DELETE');
    statement = `DELETE FROM ${qual} ${where} ${returning}`;
  }

  checkStrictPrefs(req);
  const media = negotiate(req.accepts, ctx.config.planEnabled);
  const full = prefs.representation === 'full';
  const handler: BodyHandler = full ? bodyHandlerFor(media) : { kind: 'none' };
  const selectF = handler.kind === 'none' ? 'SELECT * FROM pgrst_source' : readNodeSql(plan, undefined, p, cache);
  const wantLocation = mutation === 'create' && prefs.representation === 'headers-only' && table.pk.length > 0;
  const locF = wantLocation
    ? `(CASE WHEN pg_catalog.count(_postgrest_t) = 1 THEN coalesce((WITH data AS (SELECT row_to_json(_) AS row FROM pgrst_source AS _ LIMIT 1) SELECT json_agg(json_data.key || '=' || coalesce('eq.' || json_data.value, 'is.null')) FROM data CROSS JOIN json_each_text(data.row) AS json_data WHERE json_data.key = ANY(${p.add(arrayLiteral(table.pk))}::text[])), '[]'::json) ELSE '[]'::json END)::text`
    : `'[]'`;
  const main = `WITH pgrst_source AS (${statement}) SELECT ''::text AS total_result_set, pg_catalog.count(_postgrest_t)::text AS page_total, ${locF} AS header, ${bodySql(handler)} AS body, ${RESPONSE_GUCS_SQL}, ${countsInserted ? `${INSERTED_GUC}` : 'null::text'} AS response_inserted FROM (${selectF}) _postgrest_t`;

  const txOpts: TxOptions = {
    readOnly: false, isolation: 'READ COMMITTED', authed: auth.authed, vars: txVars(ctx, req, auth, cache),
  };
  if (media.kind === 'plan') return explainResponse(ctx, req, media, txOpts, { text: main, values: p.values });
  const result = await inTransaction<{ row: ResultRow; page: number }>(ctx.pool, txOpts, { text: main, values: p.values }, async (first) => {
    const row = first as unknown as ResultRow;
    const page = Number(row.page_total);
    let fail: RestError | undefined;
    if (mutation === 'upsert-single') { if (page !== 1) fail = putMatchingPk(); } else if (isSingular(media) && page !== 1) fail = singularityError(page);
    if (!fail && (mutation === 'update' || mutation === 'delete') && prefs.handling === 'strict' && prefs.maxAffected !== undefined && page > prefs.maxAffected) {
      fail = maxAffectedViolation(page);
    }
    if (fail) return { fail };
    return { value: { row, page }, rollback: prefs.tx === 'rollback' };
  });
  const { row, page } = result;

  const total = shouldCount(prefs.count) ? page : null;
  const headers: Array<[string, string]> = [];
  let status: number;
  if (mutation === 'create') {
    const loc = row.header ? (JSON.parse(row.header) as string[]) : [];
    if (loc.length) {
      const q = loc.map((kv) => { const eq = kv.indexOf('='); return `${urlEncode(kv.slice(0, eq))}=${urlEncode(kv.slice(eq + 1))}`; }).join('&');
      headers.push(['Location', `/${table.name}?${q}`]);
    }
    headers.push(['Content-Range', contentRange(1, 0, total)]);
    const resolutionShown = table.pk.length > 0 || req.query.onConflict !== undefined;
    const applied = preferenceApplied({
      resolution: resolutionShown ? prefs.resolution : undefined, representation: prefs.representation, count: prefs.count,
      tx: prefs.tx, missing: prefs.missing, handling: prefs.handling, timezone: prefs.timezone,
    });
    if (applied) headers.push(['Preference-Applied', applied]);
    const inserted = row.response_inserted === null || row.response_inserted === undefined ? null : Number(row.response_inserted);
    status = inserted !== null && inserted <= 0 && prefs.resolution === 'merge-duplicates' ? 200 : 201;
  } else if (mutation === 'upsert-single') {
    const applied = preferenceApplied({ representation: prefs.representation, count: prefs.count, tx: prefs.tx, handling: prefs.handling, timezone: prefs.timezone });
    if (applied) headers.push(['Preference-Applied', applied]);
    const inserted = Number(row.response_inserted ?? 0);
    status = full ? (inserted > 0 ? 201 : 200) : 204;
  } else {
    headers.push(['Content-Range', mutation === 'update' ? contentRange(0, page - 1, total) : contentRange(1, 0, total)]);
    const applied = preferenceApplied({
      representation: prefs.representation, count: prefs.count, tx: prefs.tx,
      missing: mutation === 'update' ? prefs.missing : undefined, handling: prefs.handling, timezone: prefs.timezone, maxAffected: prefs.maxAffected,
    });
    if (applied) headers.push(['Preference-Applied', applied]);
    status = full ? 200 : 204;
  }
  if (mutation !== 'upsert-single' && mutation !== 'create' && !full) status = 204;
  if (full) headers.push(...contentHeaders(req, media));
  const over = applyGucs(row, status, headers);
  return { status: over.status, headers: over.headers, body: full ? row.body ?? '' : '' };
}

