/**
 * Raw query-string handling as PostgREST does it (`parseQueryReplacePlus True`):
 * `&`-separated pairs, `+` is a space, lenient percent-decoding, a key without `=`
 * has no value (and is ignored), and the canonical form (sorted by key, repeated
 * keys joined by commas as `urlEncodeVars` does) used in Content-Location.
 */

export interface QueryPair {
  key: string;
  /** null when the pair had no `=` (PostgREST ignores those). */
  value: string | null;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Percent-decode bytes as UTF-8, leaving malformed escapes as they are. */
export function urlDecode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '+') { bytes.push(0x20); continue; }
    if (c === '%' && HEX.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseQueryString(raw: string): QueryPair[] {
  const q = raw.startsWith('?') ? raw.slice(1) : raw;
  if (q === '') return [];
  const out: QueryPair[] = [];
  for (const part of q.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) out.push({ key: urlDecode(part), value: null });
    else out.push({ key: urlDecode(part.slice(0, eq)), value: urlDecode(part.slice(eq + 1)) });
  }
  return out;
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** Network.HTTP.Base.urlEncode: everything but unreserved characters is %-escaped (UTF-8). */
export function urlEncode(s: string): string {
  if (UNRESERVED.test(s)) return s;
  try {
    // encodeURIComponent leaves only !'()* of the reserved set as they are.
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    return urlEncodeBytes(s); // a lone surrogate: encoded as Buffer encodes it (U+FFFD)
  }
}

function urlEncodeBytes(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** The canonical query string: pairs sorted by key, repeated keys' values comma-joined. */
export function canonicalQuery(pairs: QueryPair[]): string {
  const sorted = [...pairs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const p of sorted) {
    if (seen.has(p.key)) continue;
    seen.add(p.key);
    const values = sorted.filter((x) => x.key === p.key).map((x) => urlEncode(x.value ?? ''));
    parts.push(`${urlEncode(p.key)}=${values.join(',')}`);
  }
  return parts.join('&');
}
