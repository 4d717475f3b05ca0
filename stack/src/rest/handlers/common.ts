import type pg from 'pg';
import type { Logger } from '../../log.ts';
import type { AuthResult } from '../auth.ts';
import type { RestConfig } from '../config.ts';
import { buildReadPlan, type PlanInput, type ReadNode } from '../embed-plan.ts';
import {
  gucHeadersError, gucStatusError, invalidPreferences, noSchemaCache, RestError, tableNotFound, type Json,
} from '../errors.ts';
import { closest } from '../fuzzy.ts';
import { contentTypeOf, type MediaType } from '../media.ts';
import type { ApiRequest } from '../request.ts';
import type { RestResponse } from '../respond.ts';
import { qiKey, type SchemaCache, type SchemaCacheHolder, type Table } from '../schema-cache.ts';
import type { BodyHandler } from '../sql-builder.ts';
import { inTransaction, type MainStatement, type TxOptions, type TxVars } from '../tx.ts';

/** What every handler gets. */
export interface RestContext {
  config: RestConfig;
  pool: pg.Pool;
  cache: SchemaCacheHolder;
  log: Logger;
}

export function currentCache(ctx: RestContext): SchemaCache {
  const c = ctx.cache.current;
  if (!c) throw noSchemaCache();
  return c;
}

/** The table/view, refreshing the cache once if it is unknown (DDL may have just committed). */
export async function findTable(ctx: RestContext, schema: string, name: string): Promise<Table> {
  let cache = currentCache(ctx);
  let t = cache.tables.get(qiKey(schema, name));
  if (!t) {
    cache = (await ctx.cache.refreshAfterMiss()) ?? cache;
    t = cache.tables.get(qiKey(schema, name));
  }
  if (!t) {
    const names = [...cache.tables.values()].filter((x) => x.schema === schema).map((x) => x.name);
    const hint = closest(name, names);
    throw tableNotFound(schema, name, hint ? `Perhaps you meant the table '${schema}.${hint}'` : null);
  }
  return t;
}

/**
 * The read plan. A relationship the cache does not know (PGRST200) refreshes the cache once
 * first, as an unknown table does: a foreign key that just committed is found without a race.
 */
export async function planRead(ctx: RestContext, planInput: Omit<PlanInput, 'cache' | 'aggregatesEnabled'>): Promise<{ plan: ReadNode; cache: SchemaCache }> {
  const cache = currentCache(ctx);
  const input = { ...planInput, aggregatesEnabled: ctx.config.aggregatesEnabled };
  try {
    return { plan: buildReadPlan({ ...input, cache }), cache };
  } catch (e) {
    if (!(e instanceof RestError) || e.body.code !== 'PGRST200') throw e;
    const fresh = await ctx.cache.refreshAfterMiss();
    if (!fresh || fresh === cache) throw e;
    return { plan: buildReadPlan({ ...input, cache: fresh }), cache: fresh };
  }
}

/** handling=strict with unrecognised preferences: PGRST122. */
export function checkStrictPrefs(req: ApiRequest): void {
  if (req.prefs.handling === 'strict' && req.prefs.invalid.length > 0) throw invalidPreferences(req.prefs.invalid);
}

export function bodyHandlerFor(m: MediaType): BodyHandler {
  switch (m.kind) {
    case 'plan': return bodyHandlerFor(m.for);
    case 'csv': return { kind: 'csv' };
    case 'singular': return { kind: 'singular', strip: m.strip };
    case 'array-strip': return { kind: 'json', strip: true };
    default: return { kind: 'json', strip: false };
  }
}

export function isSingular(m: MediaType): boolean {
  return m.kind === 'singular';
}

/** Content-Type (and Content-Profile when negotiated by profile) for a body. */
export function contentHeaders(req: ApiRequest, m: MediaType): Array<[string, string]> {
  const h: Array<[string, string]> = [['Content-Type', contentTypeOf(m)]];
  if (req.negotiatedByProfile) h.push(['Content-Profile', req.schema]);
  return h;
}

function cookies(header: string | undefined): Record<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return Object.fromEntries(out);
}

export function txVars(ctx: RestContext, req: ApiRequest, auth: AuthResult, cache: SchemaCache, funcSettings: Array<[string, string]> = []): TxVars {
  const headers = Object.fromEntries(Object.entries(req.headers)
    .filter((e): e is [string, string | string[]] => e[0] !== 'cookie' && e[1] !== undefined)
    .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  const cookieHeader = req.headers.cookie;
  return {
    schema: req.schema,
    extraSearchPath: ctx.config.dbExtraSearchPath,
    roleSettings: cache.roleSettings.get(auth.role) ?? [],
    role: auth.role,
    claimsJson: JSON.stringify(auth.claims),
    method: req.method,
    path: req.path,
    headersJson: JSON.stringify(headers),
    cookiesJson: JSON.stringify(cookies(typeof cookieHeader === 'string' ? cookieHeader : undefined)),
    timezone: req.prefs.timezone,
    funcSettings,
  };
}

/** The main query's result row. */
export interface ResultRow {
  total_result_set: string | null;
  page_total: string;
  body: string | null;
  response_headers: string | null;
  response_status: string | null;
  response_inserted?: string | null;
  header?: string | null;
}

/** response.headers / response.status GUCs override PostgREST's status and same-named headers. */
export function applyGucs(row: ResultRow, status: number, headers: Array<[string, string]>): { status: number; headers: Array<[string, string]> } {
  let out = headers;
  if (row.response_headers !== null && row.response_headers !== undefined) {
    let parsed: Json;
    try { parsed = JSON.parse(row.response_headers) as Json; } catch { throw gucHeadersError(); }
    if (!Array.isArray(parsed)) throw gucHeadersError();
    const extra: Array<[string, string]> = [];
    for (const h of parsed) {
      if (typeof h !== 'object' || h === null || Array.isArray(h)) throw gucHeadersError();
      const entries = Object.entries(h);
      const first = entries[0];
      if (entries.length !== 1 || !first || typeof first[1] !== 'string') throw gucHeadersError();
      extra.push([first[0], first[1]]);
    }
    const names = new Set(extra.map(([k]) => k.toLowerCase()));
    out = [...headers.filter(([k]) => !names.has(k.toLowerCase())), ...extra];
  }
  let st = status;
  if (row.response_status !== null && row.response_status !== undefined) {
    const n = /^\d+/.exec(row.response_status.trim());
    if (!n) throw gucStatusError();
    st = Number(n[0]);
    if (st < 100 || st > 599) throw gucStatusError();
  }
  return { status: st, headers: out };
}

export function response(status: number, headers: Array<[string, string]>, body: string): RestResponse {
  return { status, headers, body };
}

export type PlanMedia = Extract<MediaType, { kind: 'plan' }>;

/**
 * db-plan-enabled: the statement PostgREST would run, under `EXPLAIN (FORMAT …, options)`
 * (SqlFragment.hs explainF), in the same transaction; the plan rows each end with a newline
 * (Statements.hs planRow: `BS.unlines`), answered 200 with the plan media type
 * (Response.hs: Content-Type and profile headers only).
 */
export async function explainResponse(ctx: RestContext, req: ApiRequest, media: PlanMedia, opts: TxOptions, main: MainStatement): Promise<RestResponse> {
  const text = `EXPLAIN (${[`FORMAT ${media.format.toUpperCase()}`, ...media.options.map((o) => o.toUpperCase())].join(', ')}) ${main.text}`;
  const lines = await inTransaction<string[]>(ctx.pool, opts, { text, values: main.values }, async (_first, _client, rows) => ({
    value: rows.map((r) => r['QUERY PLAN'] ?? ''), rollback: req.prefs.tx === 'rollback',
  }));
  return { status: 200, headers: contentHeaders(req, media), body: req.method === 'HEAD' ? '' : lines.map((l) => `${l}\n`).join('') };
}
