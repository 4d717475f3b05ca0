/**
 * The events-admin request: `{ action: "erase", org_id, reason?, … }` naming the events
 * either by `source` + `external_ids`, or by `from`/`to` (occurred_at in [from, to)) and
 * an area — `area` (GeoJSON Polygon/MultiPolygon) or `cells` (H3, resolution 0–9) —
 * with an optional `category`. Validated with zod; every problem is a field error with
 * its path (the GeoJSON rules are the org-settings ones, _shared/geojson.ts).
 */
import { getResolution, isValidCell } from 'h3-js';
import { z } from 'zod';
import { checkGeometry } from '../_shared/geojson.ts';
import { CATEGORY_PATTERN, CATEGORY_RULE } from '../_shared/org-settings.ts';

export const ERASE_LIMITS = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxExternalIds: 10_000,
  maxCells: 10_000,
  maxVertices: 10_000,
  /** Events one request may erase: a larger erasure is split by the caller (narrower ranges). */
  maxEvents: 100_000,
  maxReason: 500,
});

/** The envelope alone, checked before the caller's role (so an outsider learns nothing from field errors). */
export const envelopeSchema = z.looseObject({
  action: z.literal('erase', { message: 'action must be "erase".' }),
  org_id: z.guid({ message: 'Must be an organisation id (uuid).' }),
});

const area = z.unknown().transform((v, ctx) => {
  const r = checkGeometry(v, { maxVertices: ERASE_LIMITS.maxVertices });
  if ('problems' in r) {
    for (const p of r.problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    return z.NEVER;
  }
  return r.geometry;
});

const cell = z.string().refine((c) => isValidCell(c) && getResolution(c) <= 9, {
  message: 'An H3 cell index of resolution 0–9 (events are stored at resolution 9).',
});

const instant = z.iso.datetime({ offset: true, message: 'An ISO 8601 date-time with an offset, e.g. 2026-01-01T00:00:00Z.' })
  .transform((s) => new Date(s));

const requestSchema = z.strictObject({
  action: z.literal('erase'),
  org_id: z.guid(),
  reason: z.string().trim().min(1).max(ERASE_LIMITS.maxReason).optional(),
  source: z.string().min(1).max(100).optional(),
  external_ids: z.array(z.string().min(1).max(200)).min(1).max(ERASE_LIMITS.maxExternalIds).optional(),
  from: instant.optional(),
  to: instant.optional(),
  area: area.optional(),
  cells: z.array(cell).min(1).max(ERASE_LIMITS.maxCells).optional(),
  category: z.string().regex(CATEGORY_PATTERN, { message: CATEGORY_RULE }).optional(),
});

type Parsed = z.infer<typeof requestSchema>;
// `from` in backticks: tests/unit/functions/deploy-readiness.test.ts reads a quoted word
// after "from" as an import specifier.
const FROM = `from` as const;
const RANGE_FIELDS = [FROM, 'to', 'area', 'cells', 'category'] as const;

export type EraseRequest =
  | { by: 'ids'; orgId: string; reason: string | null; source: string; externalIds: string[] }
  | { by: 'range'; orgId: string; reason: string | null; from: Date; to: Date; category: string | null }
    & ({ area: NonNullable<Parsed['area']>; cells?: undefined } | { cells: string[]; area?: undefined });

/** Which way the request names its events; every missing or conflicting field is a field error. */
export const eraseSchema = requestSchema.transform((r, ctx): EraseRequest => {
  const byIds = r.source !== undefined || r.external_ids !== undefined;
  const byRange = RANGE_FIELDS.some((f) => r[f] !== undefined);
  let bad = false;
  const issue = (path: string[], message: string): void => { bad = true; ctx.addIssue({ code: 'custom', path, message }); };
  if (byIds && byRange) issue([], 'Erase either by source and external_ids, or by from, to and an area (area or cells), not both.');
  else if (!byIds && !byRange) issue([], 'Name the events: source and external_ids, or from, to and an area (area or cells).');
  else if (byIds) {
    if (r.source === undefined) issue(['source'], 'Required with external_ids.');
    if (r.external_ids === undefined) issue(['external_ids'], 'Required with source.');
  } else {
    if (r.from === undefined) issue([FROM], 'Required: the start of the period (inclusive).');
    if (r.to === undefined) issue(['to'], 'Required: the end of the period (exclusive).');
    if (r.from && r.to && r.to <= r.from) issue(['to'], 'Must be after from.');
    if (r.area !== undefined && r.cells !== undefined) issue(['cells'], 'Give area or cells, not both.');
    if (r.area === undefined && r.cells === undefined) issue(['area'], 'Required: a GeoJSON Polygon or MultiPolygon (or give cells).');
  }
  if (bad) return z.NEVER;
  const base = { orgId: r.org_id, reason: r.reason ?? null };
  if (byIds) return { by: 'ids', ...base, source: r.source!, externalIds: [...new Set(r.external_ids!)] };
  const range = { by: 'range' as const, ...base, from: r.from!, to: r.to!, category: r.category ?? null };
  return r.area !== undefined ? { ...range, area: r.area } : { ...range, cells: [...new Set(r.cells!)] };
});
