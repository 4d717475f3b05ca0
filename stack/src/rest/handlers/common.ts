import type pg from 'pg';
import type { Logger } from '../../log.ts';
import type { AuthResult } from '../auth.ts';
import type { RestConfig } from '../config.ts';
import {
  aggregatesNotAllowed, gucHeadersError, gucStatusError, invalidPreferences, noRelationship, noSchemaCache, notEmbedded,
  notImplemented, tableNotFound, type Json,
} from '../errors.ts';
import type { SelectField, SelectItem } from '../grammar.ts';
import { contentTypeOf, type MediaType } from '../media.ts';
import type { ApiRequest } from '../request.ts';
import type { RestResponse } from '../respond.ts';
import { qiKey, type SchemaCache, type SchemaCacheHolder, type Table } from '../schema-cache.ts';
import type { BodyHandler } from '../sql-builder.ts';
import type { TxVars } from '../tx.ts';

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

/**
 * PostgREST's fuzzy matching (Data.FuzzySet): n-gram cosine on normalised strings,
 * trying 3-grams then 2-grams, then re-scored by Levenshtein similarity; the best
 * candidate at or above `minScore` (0.75 for names, 0.33 for parameter lists).
 */
export function closest(name: string, candidates: string[], minScore = 0.75): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}\s,]/gu, '');
  const grams = (s: string, n: number): Map<string, number> => {
    const t = `-${s}-`;
    const m = new Map<string, number>();
    for (let i = 0; i + n <= t.length; i++) { const g = t.slice(i, i + n); m.set(g, (m.get(g) ?? 0) + 1); }
    return m;
  };
  const cosine = (a: Map<string, number>, b: Map<string, number>): number => {
    let dot = 0; let na = 0; let nb = 0;
    for (const [g, v] of a) { na += v * v; dot += v * (b.get(g) ?? 0); }
    for (const v of b.values()) nb += v * v;
    return na && nb ? dot / Math.sqrt(na * nb) : 0;
  };
  const q = norm(name);
  let matched: Array<{ c: string; score: number }> = [];
  for (const n of [3, 2]) {
    const qg = grams(q, n);
    matched = candidates.map((c) => ({ c, score: cosine(qg, grams(norm(c), n)) })).filter((m) => m.score > 0);
    if (matched.length) break;
  }
  const rescored = matched.sort((a, b) => b.score - a.score).slice(0, 50).map(({ c }) => {
    const nc = norm(c);
    const longest = Math.max(nc.length, q.length);
    return { c, score: longest === 0 ? 1 : 1 - levenshtein(q, nc) / longest };
  }).filter((m) => m.score >= minScore);
  rescored.sort((a, b) => b.score - a.score);
  return rescored[0]?.c;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
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
 * Resource embedding is not implemented: an embed answers PGRST200 when no foreign key
 * relates the two (as PostgREST would), otherwise PGRST127; a filter, order, limit or
 * logic tree on an embed path that is not selected answers PGRST108.
 */
export function rejectEmbedding(req: ApiRequest, cache: SchemaCache, root: string): void {
  const relations = req.query.select.filter((s): s is Extract<SelectItem, { kind: 'relation' }> => s.kind === 'relation');
  const selectedNames = new Set(relations.flatMap((r) => [r.alias ?? r.name]));
  const paths = [
    ...req.query.filters.map((f) => f.path), ...req.query.order.map((o) => o.path), ...req.query.logic.map((l) => l.path),
    ...[...req.query.limits.keys(), ...req.query.offsets.keys()].filter((k) => k !== '').map((k) => k.split('.')),
  ];
  for (const p of paths) {
    const head = p[0];
    if (head !== undefined && !selectedNames.has(head)) throw notEmbedded(head);
  }
  for (const o of req.query.order) {
    for (const t of o.terms) if (t.relation !== undefined && !selectedNames.has(t.relation)) throw notEmbedded(t.relation);
  }
  const rel = relations[0];
  if (rel) {
    const related = cache.foreignKeys.some((fk) => {
      const single = fk.columns.length === 1 ? fk.columns[0] : undefined;
      const fromRoot = fk.schema === req.schema && fk.table === root
        && (fk.foreignTable === rel.name || fk.constraint === rel.name || single === rel.name);
      const toRoot = fk.foreignSchema === req.schema && fk.foreignTable === root && (fk.table === rel.name || fk.constraint === rel.name);
      return fromRoot || toRoot;
    });
    if (!related && req.resource.kind === 'table') throw noRelationship(root, rel.name, req.schema, null);
    throw notImplemented(`Resource embedding ('${rel.name}') is not implemented by this server; read '${rel.name}' in a separate request or through a view or function`);
  }
  const fields = req.query.select.filter((s): s is SelectField => s.kind === 'field');
  if (fields.some((f) => f.aggregate !== undefined)) throw aggregatesNotAllowed();
}

/** handling=strict with unrecognised preferences: PGRST122. */
export function checkStrictPrefs(req: ApiRequest): void {
  if (req.prefs.handling === 'strict' && req.prefs.invalid.length > 0) throw invalidPreferences(req.prefs.invalid);
}

export function bodyHandlerFor(m: MediaType): BodyHandler {
  switch (m.kind) {
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
