/**
 * The `Prefer` header (RFC 7240) as PostgREST reads it (ApiRequest/Preferences.hs):
 * every `Prefer` header, comma-split and trimmed; the first value of each kind wins;
 * anything unrecognised is kept for `handling=strict` (PGRST122); honoured values are
 * echoed in `Preference-Applied` in PostgREST's order.
 */

export type Representation = 'full' | 'minimal' | 'headers-only';
export type CountPref = 'exact' | 'planned' | 'estimated';

export interface Preferences {
  resolution?: 'merge-duplicates' | 'ignore-duplicates';
  representation?: Representation;
  params?: 'single-object';
  count?: CountPref;
  tx?: 'commit' | 'rollback';
  missing?: 'default' | 'null';
  handling?: 'strict' | 'lenient';
  timezone?: string;
  maxAffected?: number;
  invalid: string[];
}

type Building = Preferences & { txSeen?: 'commit' | 'rollback' };

const TABLE: Record<string, (p: Building) => void> = {
  'resolution=merge-duplicates': (p) => { p.resolution ??= 'merge-duplicates'; },
  'resolution=ignore-duplicates': (p) => { p.resolution ??= 'ignore-duplicates'; },
  'return=representation': (p) => { p.representation ??= 'full'; },
  'return=minimal': (p) => { p.representation ??= 'minimal'; },
  'return=headers-only': (p) => { p.representation ??= 'headers-only'; },
  'params=single-object': (p) => { p.params ??= 'single-object'; },
  'count=exact': (p) => { p.count ??= 'exact'; },
  'count=planned': (p) => { p.count ??= 'planned'; },
  'count=estimated': (p) => { p.count ??= 'estimated'; },
  'tx=commit': (p) => { p.txSeen ??= 'commit'; },
  'tx=rollback': (p) => { p.txSeen ??= 'rollback'; },
  'missing=default': (p) => { p.missing ??= 'default'; },
  'missing=null': (p) => { p.missing ??= 'null'; },
  'handling=strict': (p) => { p.handling ??= 'strict'; },
  'handling=lenient': (p) => { p.handling ??= 'lenient'; },
};

/**
 * @param headerValues every `Prefer` header value, in order
 * @param allowTxOverride db-tx-end=commit-allow-override|rollback-allow-override
 * @param timezones the names `timezone=` may take (pg_timezone_names)
 */
export function parsePreferences(headerValues: string[], allowTxOverride: boolean, timezones: ReadonlySet<string>): Preferences {
  const prefs: Building = { invalid: [] };
  const items = headerValues.flatMap((h) => h.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    const known = Object.hasOwn(TABLE, item) ? TABLE[item] : undefined;
    if (known) { known(prefs); continue; }
    if (item.startsWith('timezone=')) {
      const tz = item.slice('timezone='.length);
      if (timezones.has(tz)) { prefs.timezone ??= tz; continue; }
    } else if (item.startsWith('max-affected=')) {
      const n = readInteger(item.slice('max-affected='.length));
      if (n !== undefined) prefs.maxAffected ??= n;
      continue;
    }
    prefs.invalid.push(item);
  }
  if (allowTxOverride && prefs.txSeen) prefs.tx = prefs.txSeen;
  delete prefs.txSeen;
  return prefs;
}

/** Haskell `readMaybe :: Maybe Int64` on a decimal (optionally negative) integer. */
function readInteger(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

const REP_VALUE: Record<Representation, string> = { full: 'return=representation', minimal: 'return=minimal', 'headers-only': 'return=headers-only' };

/** Preference-Applied: only the fields passed in, in PostgREST's order. */
export function preferenceApplied(p: Partial<Preferences>): string | undefined {
  const vals: string[] = [];
  if (p.resolution) vals.push(`resolution=${p.resolution}`);
  if (p.missing) vals.push(`missing=${p.missing}`);
  if (p.representation) vals.push(REP_VALUE[p.representation]);
  if (p.params) vals.push(`params=${p.params}`);
  if (p.count) vals.push(`count=${p.count}`);
  if (p.tx) vals.push(`tx=${p.tx}`);
  if (p.handling) vals.push(`handling=${p.handling}`);
  if (p.timezone) vals.push(`timezone=${p.timezone}`);
  if (p.handling === 'strict' && p.maxAffected !== undefined) vals.push(`max-affected=${p.maxAffected}`);
  return vals.length ? vals.join(', ') : undefined;
}

/** exact and estimated counts run a COUNT query; planned uses EXPLAIN. */
export function shouldCount(count: CountPref | undefined): boolean {
  return count === 'exact' || count === 'estimated';
}
