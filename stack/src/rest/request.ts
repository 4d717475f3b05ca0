import type { RestConfig } from './config.ts';
import { invalidResourcePath, invalidRpcMethod, unacceptableSchema, unsupportedMethod } from './errors.ts';
import { decodeMediaType, parseAccept, type MediaType } from './media.ts';
import { parsePayload, readBody, type Payload } from './payload.ts';
import { parsePreferences, type Preferences } from './prefer.ts';
import { parseQueryParams, type QueryParams } from './query-params.ts';
import { parseQueryString, urlDecode, type QueryPair } from './query-string.ts';
import { requestedRange, type RowRange } from './range.ts';

/**
 * The HTTP request translated into PostgREST's ApiRequest: resource, action,
 * schema (profile negotiation), parsed query, preferences, top-level range,
 * accepted media types and the parsed body — with errors in PostgREST's order.
 */

export type Resource = { kind: 'table'; name: string } | { kind: 'rpc'; name: string } | { kind: 'root' };

export interface ApiRequest {
  method: string;
  resource: Resource;
  /** The request path PostgREST sees (`/t`, `/rpc/f`), for request.path. */
  path: string;
  schema: string;
  /** More than one exposed schema: responses carry Content-Profile. */
  negotiatedByProfile: boolean;
  pairs: QueryPair[];
  query: QueryParams;
  prefs: Preferences;
  range: RowRange;
  accepts: MediaType[];
  contentType: MediaType;
  payload: Payload | undefined;
  /** The request's headers, lower-case names, repeated ones joined with ", " (as fetch's Headers). */
  headers: Record<string, string>;
}

const TABLE_METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS']);
const RPC_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

function parseResource(subpath: string): Resource {
  const segments = subpath.split('/').filter((s, i) => !(i === 0 && s === ''));
  const parts = segments.length === 1 && segments[0] === '' ? [] : segments.map(urlDecode);
  if (parts.length === 0) return { kind: 'root' };
  if (parts.length === 1) return { kind: 'table', name: parts[0] as string };
  if (parts.length === 2 && parts[0] === 'rpc') return { kind: 'rpc', name: parts[1] as string };
  throw invalidResourcePath();
}

/**
 * Parsed query strings, kept by raw text: the same URL shapes come back all the time
 * (dashboards, polling) and the parse is a pure function of the text. Entries are deep-frozen,
 * so a handler that mutated one would throw instead of corrupting later requests; a query
 * that fails to parse is not kept (it throws again, the same way).
 */
const MAX_PARSED_QUERIES = 1_000;
const parsedQueries = new Map<string, { pairs: QueryPair[]; query: QueryParams }>();

function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || v instanceof Map) return v;
  for (const x of Object.values(v)) deepFreeze(x);
  return Object.freeze(v);
}

function parsedQuery(rawQuery: string, isRpcRead: boolean): { pairs: QueryPair[]; query: QueryParams } {
  const key = `${isRpcRead ? 'r' : 't'}${rawQuery}`;
  const hit = parsedQueries.get(key);
  if (hit) return hit;
  // The gateway consumes the apikey query parameter (Kong's key-auth hides it upstream).
  const pairs = parseQueryString(rawQuery).filter((p) => p.key !== 'apikey');
  const parsed = deepFreeze({ pairs, query: parseQueryParams(pairs, isRpcRead) });
  if (parsedQueries.size >= MAX_PARSED_QUERIES) parsedQueries.delete(parsedQueries.keys().next().value as string);
  parsedQueries.set(key, parsed);
  return parsed;
}

export async function buildApiRequest(req: Request, subpath: string, rawQuery: string, cfg: RestConfig, timezones: ReadonlySet<string>): Promise<ApiRequest> {
  const method = req.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) headers[k] = v;
  const resource = parseResource(subpath);
  if (resource.kind === 'rpc' && !RPC_METHODS.has(method)) throw invalidRpcMethod(method);
  if (!TABLE_METHODS.has(method)) throw unsupportedMethod(method);

  const negotiatedByProfile = cfg.dbSchemas.length > 1;
  const defaultSchema = cfg.dbSchemas[0] ?? 'public';
  let schema = defaultSchema;
  if (negotiatedByProfile) {
    const isWrite = WRITE_METHODS.has(method);
    const requested = headers[isWrite ? 'content-profile' : 'accept-profile'];
    if (requested !== undefined) {
      if (!cfg.dbSchemas.includes(requested)) throw unacceptableSchema(requested, cfg.dbSchemas);
      schema = requested;
    }
  }

  const isRpcRead = resource.kind === 'rpc' && (method === 'GET' || method === 'HEAD');
  const { pairs, query } = parsedQuery(rawQuery, isRpcRead);
  const prefs = parsePreferences(headers.prefer === undefined ? [] : [headers.prefer], cfg.txAllowOverride, timezones);

  const rangeHeader = method === 'GET' ? headers.range : undefined;
  const range = requestedRange(query.limits.get(''), query.offsets.get(''), rangeHeader);

  const accept = headers.accept;
  const ct = headers['content-type'];
  const contentType = decodeMediaType(ct !== undefined && ct.trim() !== '' ? ct : 'application/json');

  let payload: Payload | undefined;
  const hasBody = method === 'POST' || method === 'PATCH' || method === 'PUT';
  if (hasBody && resource.kind !== 'root') {
    const body = await readBody(req, cfg.maxBodyBytes);
    payload = parsePayload(body, contentType, { isRpc: resource.kind === 'rpc', columns: query.columns });
  }

  const path = subpath === '' ? '/' : subpath;
  return {
    method, resource, path, schema, negotiatedByProfile, pairs, query, prefs, range,
    accepts: parseAccept(accept), contentType, payload, headers,
  };
}
