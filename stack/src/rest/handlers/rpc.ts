import type { AuthResult } from '../auth.ts';
import { countNodeSql, readNodeSql } from '../embed-sql.ts';
import {
  invalidBody, invalidRange, maxAffectedRpcViolation, maxAffectedViolation, singularityError,
} from '../errors.ts';
import { negotiate, type MediaType } from '../media.ts';
import { preferenceApplied, shouldCount } from '../prefer.ts';
import { rangeStatus, restrictRange } from '../range.ts';
import type { ApiRequest } from '../request.ts';
import { errorResponse, type RestResponse } from '../respond.ts';
import { notFound, resolveRoutine } from '../routines.ts';
import { qiKey, type Routine } from '../schema-cache.ts';
import { bodySql, ident, Params, qualified, RESPONSE_GUCS_SQL, type BodyHandler, type RoutineShape } from '../sql-builder.ts';
import { inTransaction, type TxOptions } from '../tx.ts';
import { bodyHandlerFor, contentHeaders, isSingular } from './body-media.ts';
import { currentCache, planRead, type RestContext } from './context.ts';
import { explainResponse } from './explain.ts';
import { applyGucs, type ResultRow } from './gucs.ts';
import { checkStrictPrefs } from './strict-prefs.ts';
import { txVars } from './tx-vars.ts';
import { plannedRows } from './read.ts';

/**
 * /rpc/<fn> by GET/HEAD (arguments from the query string, READ ONLY) and POST
 * (arguments from the body; READ ONLY unless the function is VOLATILE), with
 * PostgREST's overload resolution by argument names (Plan.hs findProc), its call
 * shapes (QueryBuilder.hs callPlanToQuery) and filters/order/limit on SETOF results.
 */

/** findProc, refreshing the cache once when nothing matches (DDL may have just committed). */
export async function findRoutine(ctx: RestContext, schema: string, name: string, keys: Set<string>, isPost: boolean, ct: MediaType): Promise<Routine> {
  let cache = currentCache(ctx);
  let found = resolveRoutine(cache, schema, name, keys, isPost, ct);
  if (found === 'none') {
    cache = (await ctx.cache.refreshAfterMiss()) ?? cache;
    found = resolveRoutine(cache, schema, name, keys, isPost, ct);
  }
  if (found === 'none') throw notFound(cache, schema, name, keys, isPost, ct);
  if ('error' in found) throw found.error;
  return found.routine;
}

function shapeOf(r: Routine): RoutineShape {
  if (r.returns === 'composite') return r.setOf ? 'rows' : 'single-composite';
  return r.setOf ? 'setof-scalar' : 'scalar';
}

/** The keys that select the overload: GET query arguments or the POST body's keys. */
export function argumentKeys(req: ApiRequest): Set<string> {
  if (req.method === 'GET' || req.method === 'HEAD') return new Set(req.query.rpcParams.map(([k]) => k));
  if (req.payload?.kind === 'json') return new Set(req.payload.keys);
  return new Set();
}

/** callPlanToQuery: the function call as a FROM item. */
function callSql(req: ApiRequest, r: Routine, keys: Set<string>, p: Params): string {
  const fn = qualified(r.schema, r.name);
  const scalarLike = r.returns !== 'composite';
  const callIt = (args: string): string => (scalarLike ? `(SELECT ${fn}(${args}) pgrst_scalar) pgrst_call` : `${fn}(${args}) pgrst_call`);
  const specified = r.params.filter((x) => keys.has(x.name));
  let from: string;
  const only = r.params[0];
  if (r.params.length === 1 && only && only.name === '' && req.method === 'POST') {
    const raw = req.payload?.kind === 'raw' ? req.payload.raw : req.payload?.kind === 'json' ? req.payload.raw : '';
    // bytea goes as hex text (the body's bytes, NULs included); the others as UTF-8 text.
    const value = only.type === 'bytea' ? `\\x${Buffer.from(raw).toString('hex')}` : typeof raw === 'string' ? raw : raw.toString('utf8');
    from = `FROM ${callIt(`${p.add(value)}::${only.type}`)}`;
  } else if (req.method === 'GET' || req.method === 'HEAD') {
    const args = new Map(req.query.rpcParams);
    from = `FROM ${callIt(specified.map((x) => `${x.variadic ? 'VARIADIC ' : ''}${ident(x.name)} := ${p.add(args.get(x.name) ?? null)}::${x.type}`).join(', '))}`;
  } else if (specified.length === 0) {
    from = `FROM ${callIt('')}`;
  } else {
    if (req.payload?.kind !== 'json') throw invalidBody('Empty or invalid json');
    const typed = specified.map((x) => `${ident(x.name)} ${x.type}`).join(', ');
    from = `FROM (SELECT ${p.add(req.payload.raw)}::json AS json_data) pgrst_payload, `
      + `LATERAL (SELECT ${specified.map((x) => ident(x.name)).join(', ')} FROM json_to_record${req.payload.isObject ? '' : 'set'}(pgrst_payload.json_data) AS _(${typed}) LIMIT 1) pgrst_body, `
      + `LATERAL ${callIt(specified.map((x) => `${x.variadic ? 'VARIADIC ' : ''}${ident(x.name)} := pgrst_body.${ident(x.name)}`).join(', '))}`;
  }
  // Whole rows: filters and order may name columns the select leaves out.
  return `SELECT ${scalarLike ? 'pgrst_call.pgrst_scalar' : 'pgrst_call.*'} ${from}`;
}

export async function handleRpc(ctx: RestContext, req: ApiRequest, auth: AuthResult, fnName: string): Promise<RestResponse> {
  const isPost = req.method === 'POST';
  const keys = argumentKeys(req);
  const routine = await findRoutine(ctx, req.schema, fnName, keys, isPost, req.contentType);
  const relName = routine.returnRelation?.name ?? routine.name;
  const maxRows = ctx.config.dbMaxRows;
  const { plan, cache } = await planRead(ctx, {
    query: req.query, schema: req.schema, root: { schema: req.schema, name: relName }, action: 'rpc',
    rootRange: restrictRange(req.range, maxRows), maxRows,
  });
  plan.table = routine.returnRelation ? cache.tables.get(qiKey(routine.returnRelation.schema, routine.returnRelation.name)) : undefined;
  const media = negotiate(req.accepts, ctx.config.planEnabled);
  checkStrictPrefs(req);
  if (req.prefs.handling === 'strict' && req.prefs.maxAffected !== undefined && !routine.setOf) throw maxAffectedRpcViolation();

  // Every parameter added must appear in the statement (PostgreSQL cannot type unused ones).
  const countSql = (p: Params): string => countNodeSql(plan, undefined, p);
  const p = new Params();
  const call = callSql(req, routine, keys, p);
  const countPref = req.prefs.count;
  let countCte = '';
  let countExpr = 'null::bigint';
  if (shouldCount(countPref)) {
    countCte = `, pgrst_source_count AS (${countSql(p)}${countPref === 'estimated' && maxRows !== null ? ` LIMIT ${maxRows + 1}` : ''})`;
    countExpr = '(SELECT pg_catalog.count(*) FROM pgrst_source_count)';
  }
  const read = readNodeSql(plan, undefined, p, cache);
  const shape = shapeOf(routine);
  const handler: BodyHandler = routine.returns === 'void' || req.method === 'HEAD' ? { kind: 'none' } : bodyHandlerFor(media);
  const pageExpr = routine.setOf ? 'pg_catalog.count(_postgrest_t)' : '1';
  const main = `WITH pgrst_source AS (${call})${countCte} SELECT ${countExpr}::text AS total_result_set, ${pageExpr}::text AS page_total, ${bodySql(handler, shape)} AS body, ${RESPONSE_GUCS_SQL} FROM (${read}) _postgrest_t`;

  const iso = routine.settings.find(([k]) => k === 'default_transaction_isolation')?.[1]?.toLowerCase();
  const isolation = iso === 'serializable' ? 'SERIALIZABLE' : iso === 'repeatable read' ? 'REPEATABLE READ' : 'READ COMMITTED';
  const readOnly = !isPost || routine.volatility !== 'volatile';

  const txOpts: TxOptions = {
    readOnly, isolation, authed: auth.authed, vars: txVars(ctx, req, auth, cache, routine.settings),
  };
  if (media.kind === 'plan') return explainResponse(ctx, req, media, txOpts, { text: main, values: p.values });
  const result = await inTransaction<{ row: ResultRow; page: number; total: number | null }>(ctx.pool, txOpts, { text: main, values: p.values }, async (first, client) => {
    const row = first as unknown as ResultRow | undefined;
    const r: ResultRow = row ?? { total_result_set: '0', page_total: '0', body: '', response_headers: null, response_status: null };
    const page = Number(r.page_total);
    if (isSingular(media) && page !== 1) return { fail: singularityError(page) };
    if (req.prefs.handling === 'strict' && req.prefs.maxAffected !== undefined && page > req.prefs.maxAffected) {
      return { fail: maxAffectedViolation(page) };
    }
    let total = r.total_result_set === null ? null : Number(r.total_result_set);
    if (countPref === 'planned' || (countPref === 'estimated' && maxRows !== null && total !== null && total > maxRows)) {
      const cp = new Params();
      const planCall = callSql(req, routine, keys, cp);
      const planned = await plannedRows(client, `WITH pgrst_source AS (${planCall}) ${countSql(cp)}`, cp.values);
      total = countPref === 'planned' ? planned : Math.max(total ?? 0, planned ?? 0);
    }
    return { value: { row: r, page, total }, rollback: req.prefs.tx === 'rollback' };
  }, readOnly && countPref !== 'planned' && countPref !== 'estimated');
  const { row, page, total } = result;

  const { status, contentRange } = rangeStatus(req.range.offset, page, total);
  const headers: Array<[string, string]> = [['Content-Range', contentRange]];
  const applied = preferenceApplied({ count: req.prefs.count, tx: req.prefs.tx, handling: req.prefs.handling, timezone: req.prefs.timezone, maxAffected: req.prefs.maxAffected });
  if (applied) headers.push(['Preference-Applied', applied]);
  if (routine.returns === 'void') {
    const over = applyGucs(row, 204, headers);
    return { status: over.status, headers: over.headers, body: '' };
  }
  headers.push(...contentHeaders(req, media));
  const over = applyGucs(row, status, headers);
  if (status === 416) {
    const e = errorResponse(invalidRange({ kind: 'out-of-bounds', offset: req.range.offset, total: total ?? 0 }));
    return { status: over.status, headers: over.headers, body: e.body };
  }
  return { status: over.status, headers: over.headers, body: req.method === 'HEAD' ? '' : row.body ?? '' };
}
