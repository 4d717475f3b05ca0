import { readBodyWithin } from '../gateway/body.ts';
import { invalidBody, payloadTooLarge } from './errors.ts';
import type { MediaType } from './media.ts';

/**
 * Request bodies as PostgREST reads them (ApiRequest/Payload.hs): JSON (with
 * `columns=` the body is passed through unparsed), CSV (header line; `NULL` is null),
 * form-urlencoded, and for functions a raw text/xml/octet body for a single unnamed
 * parameter. A JSON array must hold objects with identical keys.
 */

export type Payload =
  | { kind: 'json'; raw: string; keys: string[]; isObject: boolean }
  | { kind: 'raw'; raw: Buffer };

/** The body, refused (413, PGRST413) as soon as it passes `limit` (gateway/body.ts). */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  return readBodyWithin(req, limit, () => payloadTooLarge(limit));
}

const sortKeys = (keys: Iterable<string>): string[] => [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Uniform object keys of a JSON value, or undefined ("All object keys must match"). */
function payloadKeys(v: unknown): { keys: string[]; isObject: boolean; empty: boolean } | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) return { keys: [], isObject: false, empty: true };
    const first: unknown = v[0];
    if (typeof first !== 'object' || first === null || Array.isArray(first)) return undefined;
    const canon = sortKeys(Object.keys(first));
    for (const el of v) {
      if (typeof el !== 'object' || el === null || Array.isArray(el)) return undefined;
      const k = sortKeys(Object.keys(el));
      if (k.length !== canon.length || k.some((x, i) => x !== canon[i])) return undefined;
    }
    return { keys: canon, isObject: false, empty: false };
  }
  if (typeof v === 'object' && v !== null) return { keys: sortKeys(Object.keys(v)), isObject: true, empty: false };
  return { keys: [], isObject: false, empty: true };
}

/** Minimal RFC 4180 CSV → rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; any = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; any = true; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') i++;
    if (c === '\n' || c === '\r') { row.push(field); rows.push(row); row = []; field = ''; any = false; i++; continue; }
    field += c; any = true; i++;
  }
  if (quoted) throw invalidBody('parse error (endOfInput)');
  if (any || field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

function csvToJson(text: string): unknown[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) return [];
  return rows.slice(1).map((r) => {
    if (r.length !== header.length) throw invalidBody('All lines must have same number of fields');
    return Object.fromEntries(header.map((h, k) => { const v = r[k] as string; return [h, v === 'NULL' ? null : v]; }));
  });
}

export function parsePayload(body: Buffer, contentType: MediaType, opts: { isRpc: boolean; columns: string[] | undefined }): Payload {
  switch (contentType.kind) {
    case 'json': {
      const text = body.toString('utf8');
      if (opts.columns !== undefined) return { kind: 'json', raw: text, keys: sortKeys(opts.columns), isObject: text.trimStart().startsWith('{') };
      let value: unknown;
      if (text.trim() === '' && opts.isRpc) value = {};
      else {
        try { value = JSON.parse(text); } catch { throw invalidBody('Empty or invalid json'); }
      }
      const k = payloadKeys(value);
      if (!k) throw invalidBody('All object keys must match');
      return { kind: 'json', raw: k.empty ? '[]' : text, keys: k.keys, isObject: k.isObject };
    }
    case 'csv': {
      const json = csvToJson(body.toString('utf8'));
      const k = payloadKeys(json);
      if (!k) throw invalidBody('All lines must have same number of fields');
      return { kind: 'json', raw: JSON.stringify(json), keys: k.keys, isObject: false };
    }
    case 'urlencoded': {
      const params = new URLSearchParams(body.toString('utf8'));
      const firsts = new Map<string, string>();
      for (const [k, v] of params) if (!firsts.has(k)) firsts.set(k, v);
      const obj = Object.fromEntries(firsts);
      return { kind: 'json', raw: JSON.stringify(obj), keys: sortKeys(Object.keys(obj)), isObject: true };
    }
    // Payload.hs getPayload: `*/*` (MTAny) is no body type, so it falls to "not acceptable".
    case 'any': throw invalidBody('Content-Type not acceptable: */*');
    case 'text': case 'xml': case 'octet':
      if (opts.isRpc) return { kind: 'raw', raw: body };
      throw invalidBody(`Content-Type not acceptable: ${contentType.kind === 'text' ? 'text/plain' : contentType.kind === 'xml' ? 'text/xml' : 'application/octet-stream'}`);
    default:
      throw invalidBody(`Content-Type not acceptable: ${'mime' in contentType ? contentType.mime : contentType.kind}`);
  }
}
