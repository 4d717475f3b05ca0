/**
 * The org-settings request: `{ action: "update", org_id, ...fields }` where fields are
 * any of area, districts, time_zone, categories, scan, map, retention_days (a partial update: only the
 * fields given change; `scan` merges into the stored thresholds). Validated with zod;
 * GeoJSON and time zones by the pure rules in ./rules, reported as zod issues so every
 * problem comes back as a field error with its path (`area.coordinates[0][3][1]`).
 */
import { z } from 'zod';
import { CATEGORY_PATTERN, CATEGORY_RULE } from '../_shared/org-settings.ts';
import { SEVERITY_RANK, type Severity } from '../_shared/vocabulary.ts';
import { areaCells } from './rules/area-cells.ts';
import { checkGeometry, type AreaGeometry } from '../_shared/geojson.ts';
import { isTimeZone } from './rules/time-zone.ts';

export const SETTINGS_LIMITS = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  /** Vertices of the area, and of each district. */
  maxVertices: 10_000,
  /** Resolution-8 cells of the area. */
  maxAreaCells: 50_000,
  maxDistricts: 1000,
  /** Vertices of all districts together. */
  maxDistrictVertices: 100_000,
  maxDistrictName: 500,
  maxCategories: 100,
  maxMapBytes: 16 * 1024,
});

/** The envelope alone, checked before the caller's role (so an outsider learns nothing from field errors). */
export const envelopeSchema = z.looseObject({
  action: z.literal('update', { message: 'action must be "update".' }),
  org_id: z.guid({ message: 'Must be an organisation id (uuid).' }),
});

function geometry(maxVertices: number) {
  return z.unknown().transform((v, ctx) => {
    const r = checkGeometry(v, { maxVertices });
    if ('problems' in r) {
      for (const p of r.problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
      return z.NEVER;
    }
    return r;
  });
}

const area = geometry(SETTINGS_LIMITS.maxVertices).transform((r, ctx) => {
  const cells = areaCells(r.geometry, SETTINGS_LIMITS.maxAreaCells);
  if ('error' in cells) {
    ctx.addIssue({ code: 'custom', message: cells.error });
    return z.NEVER;
  }
  return { geometry: r.geometry, cells: cells.cells };
});

const district = z.strictObject({
  type: z.literal('Feature', { message: 'A district is a GeoJSON Feature.' }),
  id: z.union([z.string().max(200), z.number()]).optional(),
  properties: z.looseObject({
    name: z.string().trim().min(1, { message: 'A district needs a name.' }).max(SETTINGS_LIMITS.maxDistrictName),
  }),
  geometry: geometry(SETTINGS_LIMITS.maxVertices),
}).transform((f) => ({ type: 'Feature' as const, ...(f.id === undefined ? {} : { id: f.id }), properties: f.properties, geometry: f.geometry.geometry, vertices: f.geometry.vertices }));

const districts = z.array(district).max(SETTINGS_LIMITS.maxDistricts).transform((ds, ctx) => {
  const total = ds.reduce((s, d) => s + d.vertices, 0);
  if (total > SETTINGS_LIMITS.maxDistrictVertices) {
    ctx.addIssue({ code: 'custom', message: `At most ${SETTINGS_LIMITS.maxDistrictVertices} vertices over all districts; these have ${total}.` });
    return z.NEVER;
  }
  return ds.map(({ vertices: _v, ...d }) => d);
});

const category = z.strictObject({
  key: z.string().regex(CATEGORY_PATTERN, { message: CATEGORY_RULE }),
  label: z.string().trim().min(1).max(100),
  colour: z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: 'A colour as #rrggbb.' }),
  enabled: z.boolean(),
});
const categories = z.array(category).max(SETTINGS_LIMITS.maxCategories).superRefine((cs, ctx) => {
  const seen = new Set<string>();
  cs.forEach((c, i) => {
    if (seen.has(c.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `Category "${c.key}" is listed twice.` });
    seen.add(c.key);
  });
});

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const days = z.number().positive().max(1e9);
const scanPatch = z.strictObject({
  scheduled: z.boolean(),
  max_window_hours: int(1, 24),
  min_cases: int(1, 100_000),
  severity_days: z.strictObject({ low: days, medium: days, high: days, critical: days })
    .refine((s) => s.low <= s.medium && s.medium <= s.high && s.high <= s.critical, { message: 'Tiers must not decrease: low ≤ medium ≤ high ≤ critical.' }),
  max_history_days: int(1, 90),
  max_ring_k: int(0, 6),
  max_clusters_per_category: int(1, 100),
  resolve_after_quiet_hours: int(1, 168),
  fire_after_detections: int(1, 20),
  confirm_spacing_seconds: int(0, 3600),
  fire_immediately_at: z.enum(Object.keys(SEVERITY_RANK) as [Severity, ...Severity[]]),
  growth_factor: z.number().min(0).max(100),
  min_growth_cases: int(0, 1_000_000),
  recommendations_per_alert: int(0, 10),
}).partial();

const timeZone = z.string().max(100).refine(isTimeZone, { message: 'An IANA time zone name, e.g. Europe/Amsterdam.' });

/**
 * The dashboard's basemap (docs/dashboard.md "Basemaps"): none (area and districts on a
 * neutral background), a MapLibre style URL, or a PMTiles archive in the org's folder of
 * the Storage bucket `basemaps` (`<org_id>/…`; the folder is checked against org_id below).
 */
export const BASEMAP_PATH = /^[0-9a-f-]{36}\/(?!.*\.\.)[A-Za-z0-9._\- /]{1,200}\.pmtiles$/;
const basemap = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({
    kind: z.literal('style'),
    url: z.url({ protocol: /^https?$/, message: 'An http(s) URL of a MapLibre style JSON.' }).max(2000),
  }),
  z.strictObject({
    kind: z.literal('pmtiles'),
    path: z.string().regex(BASEMAP_PATH, { message: 'A .pmtiles object in the basemaps bucket, under the organisation\'s folder: <org_id>/<name>.pmtiles.' }),
  }),
], { message: 'kind must be "none", "style" or "pmtiles".' });

const map = z.strictObject({ basemap: basemap.optional() }).refine((m) => JSON.stringify(m).length <= SETTINGS_LIMITS.maxMapBytes, {
  message: `At most ${SETTINGS_LIMITS.maxMapBytes} characters of JSON.`,
});

export const SETTINGS_FIELDS = ['area', 'districts', 'time_zone', 'categories', 'scan', 'map', 'retention_days'] as const;

/** Days raw events are kept (the daily retention job deletes older ones; the count cube keeps them); null = forever. */
const retentionDays = z.number({ message: 'A whole number of days (1–36500), or null to keep events forever.' })
  .int({ message: 'A whole number of days.' }).min(1).max(36_500).nullable();

export const updateSchema = z.strictObject({
  action: z.literal('update'),
  org_id: z.guid(),
  area: area.nullable().optional(),
  districts: districts.optional(),
  time_zone: timeZone.optional(),
  categories: categories.optional(),
  scan: scanPatch.optional(),
  map: map.optional(),
  retention_days: retentionDays.optional(),
}).refine((u) => SETTINGS_FIELDS.some((f) => u[f] !== undefined), {
  message: `Give at least one of ${SETTINGS_FIELDS.join(', ')}.`,
}).superRefine((u, ctx) => {
  // An org's basemap is read from its own folder only (the bucket's RLS says the same).
  const b = u.map?.basemap;
  if (b?.kind === 'pmtiles' && !b.path.startsWith(`${u.org_id}/`)) {
    ctx.addIssue({ code: 'custom', path: ['map', 'basemap', 'path'], message: `The archive must be under the organisation's folder: ${u.org_id}/….` });
  }
});

export type ParsedUpdate = z.infer<typeof updateSchema>;
export type { AreaGeometry };
