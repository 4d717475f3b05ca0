/**
 * hotspot-series: why a hotspot is a hotspot, as numbers for a chart — per hour, the
 * events observed in its cells against the scan's expected count and a 95 % Poisson
 * band, over the last `hours` (48 by default, at most 7 days).
 *
 * Every read runs as the caller under RLS (store/read.ts): any member of the hotspot's
 * org may read it (viewers too); anyone else gets 404 not_found, as for a hotspot that
 * does not exist. The expected counts are the detection engine's own estimate
 * (`estimateCubeBaselines`) over the count cube with the scan's inputs (rules/series.ts);
 * no event ever leaves the database, only hourly counts of the hotspot's cells.
 */
import type { Sql } from 'postgres';
import { callerFromRequest } from '../_shared/auth-claims.ts';
import type { HotspotSeriesResult } from '../_shared/contract.ts';
import { estimateCubeBaselines } from '../_shared/detection/index.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { configFromSettings, DEFAULT_SCAN_CONFIG } from '../hotspot-scan/rules/config.ts';
import { localTime, restrictToArea } from '../hotspot-scan/rules/detect.ts';
import { BAND_LEVEL } from './rules/band.ts';
import { hotspotSeries, readFrom, seriesRange, type BaselineEngine } from './rules/series.ts';
import { SERIES_LIMITS, seriesSchema } from './schema.ts';
import { asCaller, readContext, readCubeRows } from './store/read.ts';

export interface HotspotSeriesDeps {
  sql: Sql;
  /** Epoch ms (tests pin it). */
  now?: () => number;
  engine?: BaselineEngine;
  report?: ErrorReporter;
}

export function createHotspotSeriesHandler(deps: HotspotSeriesDeps): Handler {
  const engine = deps.engine ?? estimateCubeBaselines;
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as a member of the organisation.');
    const now = (deps.now ?? Date.now)();
    const parsed = seriesSchema(now).safeParse(await readJsonBody(req, SERIES_LIMITS.maxBodyBytes));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const { hotspot_id: hotspotId, hours } = parsed.data;
    const until = parsed.data.until ?? now;

    const read = await asCaller(deps.sql, caller, async (tx) => {
      const ctx = await readContext(tx, hotspotId);
      if (!ctx) return null;
      // The org's thresholds as the scan applies them; the bucket stays the platform's.
      const cfg = { ...DEFAULT_SCAN_CONFIG, ...configFromSettings(ctx.settings.scan) };
      const range = seriesRange(until, hours, cfg.bucketMs);
      const rows = await readCubeRows(tx, hotspotId, readFrom(range, ctx.hotspot.windowEnd, cfg), range.to);
      return { ctx, cfg, range, rows };
    });
    if (!read) throw new HttpError('not_found', 'No such hotspot.', { hotspot_id: hotspotId });
    const { ctx, cfg, range } = read;
    const [cube] = restrictToArea([{ category: ctx.hotspot.category, rows: read.rows, firstBucket: null, casesInWindow: 0 }], ctx.settings.areaCells, range.to);

    const t0 = performance.now();
    const points = hotspotSeries({
      cells: ctx.hotspot.cells, rows: cube!.rows, range, anchor: ctx.hotspot.windowEnd, cfg,
      orgCreatedMs: ctx.orgCreatedMs, utcOffsetAt: localTime(ctx.settings.timeZone),
    }, engine);
    const engineMs = Math.round(performance.now() - t0);

    const iso = (t: number): string => new Date(t).toISOString();
    const result: HotspotSeriesResult = {
      hotspot_id: ctx.hotspot.id, category: ctx.hotspot.category, cells: ctx.hotspot.cells,
      window_start: iso(ctx.hotspot.windowStart), window_end: iso(ctx.hotspot.windowEnd),
      from: iso(range.from), to: iso(range.to), until: iso(range.until), bucket_ms: cfg.bucketMs,
      band: { kind: 'poisson', level: BAND_LEVEL as 0.95 },
      points: points.map((p) => ({ ...p, t: iso(p.t) })),
      engine_ms: engineMs,
    };
    return jsonResponse(result);
  }, deps.report);
}
