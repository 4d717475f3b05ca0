/**
 * Pure pieces of the Settings page: which control a server field error belongs to,
 * reading an uploaded or pasted GeoJSON file into what `org-settings` takes, the scan
 * thresholds the page edits, and the time zones to offer. No DOM here (unit-tested).
 */
import type { ScanSettings } from './settings-api.ts';

/**
 * The field a server error path names: the longest known field that is the path or a
 * prefix of it at a `.` or `[` boundary (`area.coordinates[0][3]` → `area`,
 * `categories[2].label` → `categories[2].label`, `scan.severity_days` → itself).
 */
export function fieldForPath(path: string, fields: readonly string[]): string | null {
  let best: string | null = null;
  for (const f of fields) {
    const hit = path === f || (path.startsWith(f) && (path[f.length] === '.' || path[f.length] === '['));
    if (hit && (best === null || f.length > best.length)) best = f;
  }
  return best;
}

export type Parsed<T> = { value: T } | { error: string };

function parseJson(text: string): Parsed<unknown> {
  if (text.trim() === '') return { error: 'Choose a file or paste GeoJSON.' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: `Not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The area from a GeoJSON text: a geometry as is, or the geometry of a Feature or of a
 * FeatureCollection's only feature (what GIS tools export). Anything else is sent as
 * given, so the function's own field errors say what is wrong with it.
 */
export function areaFromText(text: string): Parsed<unknown> {
  const p = parseJson(text);
  if ('error' in p) return p;
  const v = p.value;
  if (isObject(v) && v.type === 'Feature') return { value: v.geometry };
  if (isObject(v) && v.type === 'FeatureCollection' && Array.isArray(v.features)) {
    if (v.features.length !== 1) return { error: `A FeatureCollection with one feature (the area); this one has ${v.features.length}. Merge them into a MultiPolygon.` };
    const f = v.features[0] as unknown;
    return { value: isObject(f) ? f.geometry : f };
  }
  return { value: v };
}

/** Districts from a GeoJSON text: a FeatureCollection's features, a list of Features, or one Feature. */
export function districtsFromText(text: string): Parsed<unknown[]> {
  const p = parseJson(text);
  if ('error' in p) return p;
  const v = p.value;
  if (isObject(v) && v.type === 'FeatureCollection' && Array.isArray(v.features)) return { value: v.features as unknown[] };
  if (Array.isArray(v)) return { value: v as unknown[] };
  if (isObject(v) && v.type === 'Feature') return { value: [v] };
  return { error: 'A GeoJSON FeatureCollection whose features have a properties.name.' };
}

/** The numeric scan thresholds the page edits, in order, with their labels and bounds (functions/org-settings/schema.ts). */
export const SCAN_NUMBERS: ReadonlyArray<{ path: string; label: string; min: number; max: number; step: number | 'any' }> = [
  { path: 'max_window_hours', label: 'Longest time window (hours)', min: 1, max: 24, step: 1 },
  { path: 'min_cases', label: 'Minimum events in a window to scan a category', min: 1, max: 100_000, step: 1 },
  { path: 'severity_days.low', label: 'Low: recurrence interval of at least (days)', min: 0.001, max: 1e9, step: 'any' },
  { path: 'severity_days.medium', label: 'Medium: recurrence interval of at least (days)', min: 0.001, max: 1e9, step: 'any' },
  { path: 'severity_days.high', label: 'High: recurrence interval of at least (days)', min: 0.001, max: 1e9, step: 'any' },
  { path: 'severity_days.critical', label: 'Critical: recurrence interval of at least (days)', min: 0.001, max: 1e9, step: 'any' },
  { path: 'max_history_days', label: 'History used for baselines (days)', min: 1, max: 90, step: 1 },
  { path: 'max_ring_k', label: 'Largest cluster radius (H3 rings)', min: 0, max: 6, step: 1 },
  { path: 'max_clusters_per_category', label: 'Clusters reported per category', min: 1, max: 100, step: 1 },
  { path: 'resolve_after_quiet_hours', label: 'Resolve a hotspot after this many quiet hours', min: 1, max: 168, step: 1 },
  { path: 'fire_after_detections', label: 'Fire an alert after this many detecting scans', min: 1, max: 20, step: 1 },
  { path: 'confirm_spacing_seconds', label: '… at least this far apart (seconds)', min: 0, max: 3600, step: 1 },
  { path: 'growth_factor', label: 'Notify again when cases grew by this fraction', min: 0, max: 100, step: 'any' },
  { path: 'min_growth_cases', label: '… and by at least this many events', min: 0, max: 1_000_000, step: 1 },
  { path: 'recommendations_per_alert', label: 'Playbooks recommended per alert', min: 0, max: 10, step: 1 },
];

/** A threshold's value by its dotted path. */
export function scanValue(scan: ScanSettings, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), scan);
}

/**
 * The scan object to send from the form's text values (dotted paths), or the fields
 * that are not numbers (`scan.<path>` → message), so nothing is sent half-read.
 */
export function scanFromForm(numbers: Readonly<Record<string, string>>, scheduled: boolean, fireImmediatelyAt: string):
  { value: Record<string, unknown> } | { errors: Array<{ path: string; message: string }> } {
  const out: Record<string, unknown> = { scheduled, fire_immediately_at: fireImmediatelyAt };
  const errors: Array<{ path: string; message: string }> = [];
  for (const { path } of SCAN_NUMBERS) {
    const text = (numbers[path] ?? '').trim();
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) {
      errors.push({ path: `scan.${path}`, message: 'Enter a number.' });
      continue;
    }
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail) out[head] = { ...(out[head] as Record<string, unknown> | undefined), [tail]: n };
    else out[head] = n;
  }
  return errors.length ? { errors } : { value: out };
}

/** IANA zone names to offer: the runtime's list (which may leave out UTC itself), sorted. */
export function timeZoneNames(supported: readonly string[]): string[] {
  return [...new Set(['UTC', ...supported])].sort((a, b) => a.localeCompare(b));
}
