/**
 * Row → ingest event (pure). `--map lat=Latitude,…` names the source column of each
 * target field (unnamed targets are read from a column of their own name);
 * `--category-map "FLOOD=flood,…"` renames source categories (exact match first, then
 * case-insensitive); a category that still is not one (`^[a-z][a-z0-9_]{0,62}$`) is
 * rejected. Without an `external_id` column the id is a hash of the mapped fields.
 */
import type { IngestEvent } from '../../functions/_shared/contract.ts';
import { rowHashId } from './row-id.ts';
import { parseTimestamp } from './timestamps.ts';

export const TARGETS = ['lat', 'lng', 'occurred_at', 'category', 'external_id'] as const;
export type Target = typeof TARGETS[number];
export type ColumnMap = Readonly<Record<Target, string>>;

const CATEGORY = /^[a-z][a-z0-9_]{0,62}$/;
const MAX_EXTERNAL_ID = 200;

/** `lat=Latitude,lng=Longitude` → the column of each target (defaults: the target's own name). */
export function parseColumnMap(spec: string | undefined): ColumnMap {
  const out: Record<Target, string> = { lat: 'lat', lng: 'lng', occurred_at: 'occurred_at', category: 'category', external_id: 'external_id' };
  for (const pair of splitPairs(spec)) {
    const [target, column] = pair;
    if (!(TARGETS as readonly string[]).includes(target)) throw new Error(`--map: unknown target "${target}" (one of ${TARGETS.join(', ')})`);
    out[target as Target] = column;
  }
  return out;
}

/** `FLOOD=flood,Water main break=infrastructure` → source value → category. */
export function parseCategoryMap(spec: string | undefined): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [from, to] of splitPairs(spec)) {
    if (!CATEGORY.test(to)) throw new Error(`--category-map: "${to}" is not a category (lower-case letters, digits and _)`);
    out.set(from, to);
  }
  return out;
}

function splitPairs(spec: string | undefined): Array<[string, string]> {
  if (!spec) return [];
  return spec.split(',').filter((p) => p.trim()).map((p) => {
    const i = p.indexOf('=');
    if (i <= 0 || i === p.length - 1) throw new Error(`expected name=value, got "${p}"`);
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
  });
}

export interface MapOptions {
  columns: ColumnMap;
  categories: ReadonlyMap<string, string>;
  tz: string | null;
  source: string;
}

/** A raw row: the file's columns, and a GeoJSON Point's [lng, lat] when there is one. */
export interface RawRow {
  fields: Readonly<Record<string, unknown>>;
  point?: readonly [unknown, unknown];
}

export type Mapped = { event: IngestEvent } | { reason: string };

function coordinate(v: unknown, what: 'lat' | 'lng'): number | string {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const max = what === 'lat' ? 90 : 180;
  if (!Number.isFinite(n)) return `${what} ${v === undefined || v === '' ? 'is missing' : `"${String(v)}" is not a number`}`;
  if (Math.abs(n) > max) return `${what} ${n} is outside [-${max}, ${max}]`;
  return n;
}

function category(v: unknown, map: ReadonlyMap<string, string>): string | { reason: string } {
  const s = typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v);
  if (!s) return { reason: 'category is missing' };
  const exact = map.get(s);
  if (exact) return exact;
  const lower = s.toLowerCase();
  for (const [from, to] of map) if (from.toLowerCase() === lower) return to;
  return CATEGORY.test(s) ? s : { reason: `category "${s}" is not a category (map it with --category-map)` };
}

export function mapRow(row: RawRow, o: MapOptions): Mapped {
  const f = row.fields;
  const c = o.columns;
  // A GeoJSON Point gives the coordinates unless --map names columns for them.
  const latRaw = c.lat in f || !row.point ? f[c.lat] : row.point[1];
  const lngRaw = c.lng in f || !row.point ? f[c.lng] : row.point[0];
  const lat = coordinate(latRaw, 'lat');
  if (typeof lat === 'string') return { reason: lat };
  const lng = coordinate(lngRaw, 'lng');
  if (typeof lng === 'string') return { reason: lng };
  const cat = category(f[c.category], o.categories);
  if (typeof cat !== 'string') return cat;
  const t = parseTimestamp(f[c.occurred_at], o.tz);
  if ('reason' in t) return t;
  let externalId: string;
  if (c.external_id in f) {
    const v = f[c.external_id];
    externalId = v === null || v === undefined ? '' : String(v).trim();
    if (!externalId) return { reason: 'external_id is empty' };
    if (externalId.length > MAX_EXTERNAL_ID) return { reason: `external_id is longer than ${MAX_EXTERNAL_ID} characters` };
  } else {
    externalId = rowHashId({ source: o.source, category: cat, occurred_at: t.iso, lat, lng });
  }
  return { event: { source: o.source, external_id: externalId, category: cat, occurred_at: t.iso, lat, lng } };
}
