import type pg from 'pg';
import type { AuthResult } from '../auth.ts';
import { countNodeSql, readNodeSql } from '../embed-sql.ts';
import { invalidRange, singularityError } from '../errors.ts';
import { negotiate } from '../media.ts';
import { preferenceApplied, shouldCount } from '../prefer.ts';
import { rangeStatus, restrictRange } from '../range.ts';
import type { ApiRequest } from '../request.ts';
import { errorResponse, type RestResponse } from '../respond.ts';
import { bodySql, Params, RESPONSE_GUCS_SQL } from '../sql-builder.ts';
import { inTransaction, type TxOptions } from '../tx.ts';
import { bodyHandlerFor, contentHeaders, isSingular } from './body-media.ts';
import { findTable, planRead, type RestContext } from './context.ts';
import { explainResponse } from './explain.ts';
import { applyGucs, type ResultRow } from './gucs.ts';
import { checkStrictPrefs } from './strict-prefs.ts';
import { txVars } from './tx-vars.ts';

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
  const maxRows = ctx.config.dbMaxRows;
  const { plan, cache } = await planRead(ctx, {
    query: req.query, schema: req.schema, root: { schema: table.schema, name: table.name }, action: 'read',
    rootRange: restrictRange(req.range, maxRows), maxRows,
  });
  const media = negotiate(req.accepts, ctx.config.planEnabled);
  checkStrictPrefs(req);

  const p = new Params();
  const source = readNodeSql(plan, undefined, p, cache);

  const countPref = req.prefs.count;
  const countSql = (params: Params): string => countNodeSql(plan, undefined, params);
  let countCte = '';
  let countExpr = 'null::bigint';
  if (shouldCount(countPref)) {
    const limited = countPref === 'estimated' && maxRows !== null ? ` LIMIT ${maxRows + 1}` : '';
    countCte = `, pgrst_source_count AS (${countSql(p)}${limited})`;
    countExpr = '(SELECT pg_catalog.count(*) FROM pgrst_source_count)';
  }
  const handler = req.method === 'HEAD' ? { kind: 'none' as const } : bodyHandlerFor(media);
  const main = `WITH pgrst_source AS ( ${source} )${countCte} SELECT ${countExpr}::text AS total_result_set, pg_catalog.count(_postgrest_t)::text AS page_total, ${bodySql(handler)} AS body, ${RESPONSE_GUCS_SQL} FROM ( SELECT * FROM pgrst_source ) _postgrest_t`;

  const txOpts: TxOptions = {
    readOnly: true, isolation: 'READ COMMITTED', authed: auth.authed, vars: txVars(ctx, req, auth, cache),
  };
  if (media.kind === 'plan') return explainResponse(ctx, req, media, txOpts, { text: main, values: p.values });
  const result = await inTransaction<{ row: ResultRow; page: number; total: number | null }>(ctx.pool, txOpts, { text: main, values: p.values }, async (first, client) => {
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
