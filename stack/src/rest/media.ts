import { mediaTypeError } from './errors.ts';

/**
 * Media types as PostgREST decodes them (MediaType.hs) and the negotiation it does
 * with its built-in handlers (Plan/Negotiate.hs): JSON, `*\/*`, CSV, the singular
 * object (`application/vnd.pgrst.object+json`) and `nulls=stripped`; execution plans
 * (`vnd.pgrst.plan`) only with db-plan-enabled (off by default, as on Supabase). No GeoJSON (no PostGIS).
 */

export type PlanOption = 'analyze' | 'verbose' | 'settings' | 'buffers' | 'wal';
const PLAN_OPTIONS: PlanOption[] = ['analyze', 'verbose', 'settings', 'buffers', 'wal'];

export type MediaType =
  | { kind: 'json' }
  | { kind: 'any' }
  | { kind: 'csv' }
  | { kind: 'geojson' }
  | { kind: 'text' }
  | { kind: 'xml' }
  | { kind: 'openapi' }
  | { kind: 'urlencoded' }
  | { kind: 'octet' }
  | { kind: 'array-strip' }
  | { kind: 'singular'; strip: boolean }
  | { kind: 'plan'; format: 'json' | 'text'; for: MediaType; options: PlanOption[] }
  | { kind: 'other'; mime: string };

export function decodeMediaType(raw: string): MediaType {
  const [main = '', ...params] = raw.split(';').map((p) => p.trim());
  const nullsStripped = params.length === 1 && params[0] === 'nulls=stripped';
  switch (main) {
    case 'application/json': return { kind: 'json' };
    case 'application/geo+json': return { kind: 'geojson' };
    case 'text/csv': return { kind: 'csv' };
    case 'text/plain': return { kind: 'text' };
    case 'text/xml': return { kind: 'xml' };
    case 'application/openapi+json': return { kind: 'openapi' };
    case 'application/x-www-form-urlencoded': return { kind: 'urlencoded' };
    case 'application/octet-stream': return { kind: 'octet' };
    case 'application/vnd.pgrst.plan':
    case 'application/vnd.pgrst.plan+text': return decodePlan('text', params);
    case 'application/vnd.pgrst.plan+json': return decodePlan('json', params);
    case 'application/vnd.pgrst.object+json':
    case 'application/vnd.pgrst.object': return { kind: 'singular', strip: nullsStripped };
    case 'application/vnd.pgrst.array+json':
    case 'application/vnd.pgrst.array': return nullsStripped ? { kind: 'array-strip' } : { kind: 'json' };
    case '*/*': return { kind: 'any' };
    case '': return { kind: 'any' };
    default: return { kind: 'other', mime: main };
  }
}

/** getPlan: `for="…"` (default application/json) and `options=a|b`, in PostgREST's option order. */
function decodePlan(format: 'json' | 'text', params: string[]): MediaType {
  const opts = (params.find((p) => p.startsWith('options='))?.slice('options='.length) ?? '').split('|');
  const forParam = params.find((p) => p.startsWith('for='))?.slice('for='.length);
  return {
    kind: 'plan', format,
    for: forParam === undefined ? { kind: 'json' } : decodeMediaType(forParam.replace(/^"+|"+$/g, '')),
    options: PLAN_OPTIONS.filter((o) => opts.includes(o)),
  };
}

export function toMime(m: MediaType): string {
  switch (m.kind) {
    case 'json': return 'application/json';
    case 'any': return '*/*';
    case 'csv': return 'text/csv';
    case 'geojson': return 'application/geo+json';
    case 'text': return 'text/plain';
    case 'xml': return 'text/xml';
    case 'openapi': return 'application/openapi+json';
    case 'urlencoded': return 'application/x-www-form-urlencoded';
    case 'octet': return 'application/octet-stream';
    case 'array-strip': return 'application/vnd.pgrst.array+json;nulls=stripped';
    case 'singular': return m.strip ? 'application/vnd.pgrst.object+json;nulls=stripped' : 'application/vnd.pgrst.object+json';
    case 'plan':
      return `application/vnd.pgrst.plan+${m.format}; for="${toMime(m.for)}"${m.options.length ? `; options=${m.options.join('|')}` : ''}`;
    case 'other': return m.mime;
  }
}

/** The response Content-Type for a negotiated media type. */
export function contentTypeOf(m: MediaType): string {
  const mime = m.kind === 'any' ? 'application/json' : toMime(m);
  return m.kind === 'octet' || m.kind === 'other' ? mime : `${mime}; charset=utf-8`;
}

/** Wai's parseHttpAccept: spaces removed, ordered by q-value then by specificity. */
export function parseAccept(header: string | undefined): MediaType[] {
  if (header === undefined || header.trim() === '') return [{ kind: 'any' }];
  const entries = header.replace(/ /g, '').split(',').map((s, index) => {
    const qAt = s.indexOf(';q=');
    const mt = qAt >= 0 ? s.slice(0, qAt) : s;
    const qRaw = qAt >= 0 ? s.slice(qAt + 3).split(';')[0] ?? '' : '1';
    const q = Number.isFinite(Number(qRaw)) && qRaw !== '' ? Number(qRaw) : 0;
    const semicolons = (mt.match(/;/g) ?? []).length;
    const stars = (mt.match(/\*/g) ?? []).length;
    return { mt, q, semicolons, stars, index };
  });
  entries.sort((a, b) => b.q - a.q || b.semicolons - a.semicolons || a.stars - b.stars || a.index - b.index);
  return entries.map((e) => decodeMediaType(e.mt));
}

const isBuiltin = (m: MediaType): boolean =>
  m.kind === 'json' || m.kind === 'any' || m.kind === 'csv' || m.kind === 'singular' || m.kind === 'array-strip';

/**
 * The handlers every table, view and function has: JSON, CSV, singular, nulls=stripped; and,
 * with db-plan-enabled, a plan of any of them (Negotiate.hs: a plan is skipped when disabled).
 */
export function negotiate(accepts: MediaType[], planEnabled = false): MediaType {
  for (const m of accepts) {
    if (isBuiltin(m)) return m;
    if (m.kind === 'plan' && planEnabled && isBuiltin(m.for)) return m;
  }
  throw mediaTypeError(accepts.map(toMime));
}
