import type pg from 'pg';
import type { AuthResult } from '../auth.ts';
import { invalidRange, singularityError } from '../errors.ts';
import type { SelectField } from '../grammar.ts';
import { negotiate } from '../media.ts';
import { preferenceApplied, shouldCount } from '../prefer.ts';
import { rangeStatus, restrictRange } from '../range.ts';
import type { ApiRequest } from '../request.ts';
import { errorResponse, type RestResponse } from '../respond.ts';
import {
  bodySql, limitOffsetSql, orderSql, Params, qualified, RESPONSE_GUCS_SQL, selectItemSql, whereSql, type FieldContext,
} from '../sql-builder.ts';
import { inTransaction } from '../tx.ts';
import {
  applyGucs, bodyHandlerFor, checkStrictPrefs, contentHeaders, currentCache, findTable, isSingular, rejectEmbedding, txVars,
  type RestContext, type ResultRow,
} from './common.ts';

/** EXPLAIN's row estimate for a statement (count=planned / estimated). */
export async function plannedRows(client: pg.ClientBase, sql: string, values: Array<string | null>): Promise<number | null> {
  const r = await client.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
  const raw = r.rows[0]?.['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan?: { 'Plan Rows'?: number } }>;
  const rows = plan[0]?.Plan?.['Plan Rows'];
  return typeof rows === 'number' ? Math.round(rows) : null;
}

/** GET/HEAD on a table or view. */
export async function handleRead(ctx: RestContext, req: ApiRequest, auth: AuthResult, tableName: string): Promise<RestResponse> {
  const table = await findTable(ctx, req.schema, tableName);
  const cache = currentCache(ctx);
  rejectEmbedding(req, cache, tableName);
  const media = negotiate(req.accepts);
  checkStrictPrefs(req);

  const qual = qualified(table.schema, table.name);
  const fctx: FieldContext = { qualifier: qual, column: (n) => table.columns.get(n) };
  const rootFilters = req.query.filters.filter((f) => f.path.length === 0).map((f) => f.filter);
  const rootLogic = req.query.logic.filter((l) => l.path.length === 0).map((l) => l.tree);
  const order = req.query.order.filter((o) => o.path.length === 0).at(-1)?.terms ?? [];
  const range = restrictRange(req.range, ctx.config.dbMaxRows);
  const items = req.query.select as SelectField[];

  const p = new Params();
  const selectList = items.length ? items.map((i) => selectItemSql(fctx, i, p, cache)).join(', ') : `${qual}.*`;
  const source = `SELECT ${selectList} FROM ${qual} ${whereSql(fctx, rootFilters, rootLogic, p)} ${orderSql(fctx, order, p)} ${limitOffsetSql(range.limit, range.offset, p)}`;

  const countPref = req.prefs.count;
  const maxRows = ctx.config.dbMaxRows;
  const countSql = (params: Params): string => `SELECT 1 FROM ${qual} ${whereSql(fctx, rootFilters, rootLogic, params)}`;
  let countCte = '';
  let countExpr = 'null::bigint';
  if (shouldCount(countPref)) {
    const limited = countPref === 'estimated' && maxRows !== null ? ` LIMIT ${maxRows + 1}` : '';
    countCte = `, pgrst_source_count AS (${countSql(p)}${limited})`;
    countExpr = '(SELECT pg_catalog.count(*) FROM pgrst_source_count)';
  }
  const handler = req.method === 'HEAD' ? { kind: 'none' as const } : bodyHandlerFor(media);
  const main = `WITH pgrst_source AS ( ${source} )${countCte} SELECT ${countExpr}::text AS total_result_set, pg_catalog.count(_postgrest_t)::text AS page_total, ${bodySql(handler)} AS body, ${RESPONSE_GUCS_SQL} FROM ( SELECT * FROM pgrst_source ) _postgrest_t`;

  const result = await inTransaction<{ row: ResultRow; page: number; total: number | null }>(ctx.pool, {
    readOnly: true, isolation: 'READ COMMITTED', authed: auth.authed, vars: txVars(ctx, req, auth, cache),
  }, { text: main, values: p.values }, async (first, client) => {
    const row = first as unknown as ResultRow;
    const page = Number(row.page_total);
    if (isSingular(media) && page !== 1) return { fail: singularityError(page) };
    let total = row.total_result_set === null ? null : Number(row.total_result_set);
    if (countPref === 'planned' || (countPref === 'estimated' && maxRows !== null && total !== null && total > maxRows)) {
      const cp = new Params();
      const planned = await plannedRows(client, countSql(cp), cp.values);
      total = countPref === 'planned' ? planned : Math.max(total ?? 0, planned ?? 0);
    }
    return { value: { row, page, total }, rollback: req.prefs.tx === 'rollback' };
  // Read-only: COMMIT or ROLLBACK leave the same database, so a plain read commits in the pipeline.
  }, countPref !== 'planned' && countPref !== 'estimated');
  const { row, page, total } = result;

  const { status, contentRange } = rangeStatus(req.range.offset, page, total);
  const headers: Array<[string, string]> = [
    ['Content-Range', contentRange],
    ['Content-Location', `/${table.name}${req.query.canonical ? `?${req.query.canonical}` : ''}`],
    ...contentHeaders(req, media),
  ];
  const applied = preferenceApplied({ count: req.prefs.count, tx: req.prefs.tx, handling: req.prefs.handling, timezone: req.prefs.timezone });
  if (applied) headers.push(['Preference-Applied', applied]);
  const over = applyGucs(row, status, headers);
  if (status === 416) {
    const e = errorResponse(invalidRange({ kind: 'out-of-bounds', offset: req.range.offset, total: total ?? 0 }));
    return { status: over.status, headers: over.headers, body: e.body };
  }
  return { status: over.status, headers: over.headers, body: row.body ?? '' };
}
