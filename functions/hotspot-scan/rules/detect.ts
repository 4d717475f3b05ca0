/**
 * Run the detection engine (functions/_shared/detection, `scanCube`) once per event
 * category that has cases in the study window, sharing one compute budget, and turn
 * its significant clusters into Detections with a place (centre, radius).
 *
 * Pure CPU work, no I/O: the handler calls it between the read and the write, outside
 * any transaction. The Monte Carlo seed is fixed, so two scans of the same cube agree
 * on every cluster — which is what lets concurrent scans converge on one set of rows.
 */
import { cellToLatLng, getHexagonEdgeLengthAvg, greatCircleDistance, UNITS } from 'h3-js';
import type { CubeRow, ScanCubeInput, ScanCubeOptions, ScanCubeResult } from '../../_shared/detection/types.ts';
import type { ScanCategoryStats } from '../../_shared/contract.ts';
import { offsetFunction } from '../../_shared/time-zone.ts';
import type { Severity } from '../../_shared/vocabulary.ts';
import type { ScanConfig } from './config.ts';
import type { Detection } from './state.ts';

export type ScanEngine = (input: ScanCubeInput, options?: ScanCubeOptions) => ScanCubeResult;

export interface CategoryCube {
  category: string;
  rows: CubeRow[];
  /** Earliest bucket with a row (epoch ms), or null. */
  firstBucket: number | null;
  casesInWindow: number;
}

export interface DetectResult {
  detections: Detection[];
  categories: Record<string, ScanCategoryStats>;
  /** Categories whose engine call threw (their hotspots are left as they are). */
  failed: Record<string, string>;
}

/** The cube's H3 resolution (count_cube rolls events up to res 8). */
export const CUBE_H3_RESOLUTION = 8;

/** Largest recurrence interval stored (p-values from the Gumbel tail can underflow to 0). */
export const MAX_RECURRENCE_DAYS = 1e9;

export function clusterGeometry(centerCell: string, cells: ReadonlyArray<string>): { lat: number; lng: number; radiusM: number } {
  const [lat, lng] = cellToLatLng(centerCell);
  let r = 0;
  for (const c of cells) {
    const [la, ln] = cellToLatLng(c);
    r = Math.max(r, greatCircleDistance([lat, lng], [la, ln], UNITS.m));
  }
  return { lat, lng, radiusM: Math.round(r + getHexagonEdgeLengthAvg(CUBE_H3_RESOLUTION, UNITS.m)) };
}

export interface DetectOptions {
  now: number;
  /** The org's IANA zone: hour-of-day/day-of-week baselines follow its local time (UTC: none). */
  timeZone?: string;
  /** Categories not to scan (disabled in the org's settings). */
  disabled?: ReadonlySet<string>;
  /** Earliest bucket the org could have data for (org creation, clamped by the caller). */
  historyFloor: number;
  cfg: ScanConfig;
  engine: ScanEngine;
  /** Wall clock in ms for the shared budget (performance.now by default). */
  clock?: () => number;
}

export function detect(cubes: ReadonlyArray<CategoryCube>, o: DetectOptions): DetectResult {
  const clock = o.clock ?? (() => performance.now());
  const started = clock();
  const out: DetectResult = { detections: [], categories: {}, failed: {} };
  const todo = cubes.filter((c) => c.casesInWindow >= Math.max(1, o.cfg.minCases) && !o.disabled?.has(c.category))
    .sort((a, b) => a.category.localeCompare(b.category));
  const utcOffsetAt = localTime(o.timeZone);
  for (let i = 0; i < todo.length; i++) {
    const cube = todo[i]!;
    const remaining = o.cfg.computeBudgetMs - (clock() - started);
    const budgetMs = Math.max(25, remaining / (todo.length - i));
    const t0 = clock();
    let res: ScanCubeResult;
    try {
      const { input, options } = engineInput(cube, { now: o.now, historyFloor: o.historyFloor, cfg: o.cfg, utcOffsetAt });
      res = o.engine(input, {
        ...options,
        maxClusters: o.cfg.maxClustersPerCategory,
        severity: o.cfg.severityDays,
        monteCarlo: { replicates: o.cfg.replicates, budgetMs, seed: 1 },
      });
    } catch (e) {
      out.failed[cube.category] = e instanceof Error ? e.message : String(e);
      continue;
    }
    let significant = 0;
    for (const c of res.clusters) {
      if (c.severity === 'none') continue;
      significant++;
      const g = clusterGeometry(c.centerCell, c.cells);
      out.detections.push({
        category: cube.category, model: res.model, severity: c.severity as Severity, cells: c.cells, centerCell: c.centerCell,
        centerLat: g.lat, centerLng: g.lng, radiusM: g.radiusM, windowStart: c.windowStart, windowEnd: c.windowEnd,
        observed: c.observed, expected: c.expected, relativeRisk: c.relativeRisk, score: c.score, pValue: c.pValue,
        recurrenceIntervalDays: Math.min(c.recurrenceIntervalDays, MAX_RECURRENCE_DAYS),
      });
    }
    out.categories[cube.category] = {
      model: res.model, modelReason: res.stats.modelReason, casesInWindow: res.stats.casesInWindow, historyCases: res.stats.historyCases,
      universeCells: res.stats.universeCells, clusters: res.clusters.length, significant, replications: res.stats.replications,
      earlyStopped: res.stats.earlyStopped, budgetExhausted: res.stats.budgetExhausted, engineMs: Math.round(clock() - t0),
    };
  }
  return out;
}

/** The org's local clock for the engine's hour-of-day/day-of-week slots (null: UTC). */
export function localTime(timeZone: string | undefined): ((epochMs: number) => number) | null {
  return timeZone && timeZone !== 'UTC' ? offsetFunction(timeZone) : null;
}

/**
 * What the engine is given for one category's cube at `now`: its rows, the history
 * start, and the options that shape the time axis and the baselines (zones, window,
 * history, local time). The scan adds its Monte Carlo and reporting options; the
 * hotspot-series function passes the same to `estimateCubeBaselines`, so the chart's
 * expected counts are the scan's by construction.
 */
export function engineInput(
  cube: Pick<CategoryCube, 'rows' | 'firstBucket'>,
  o: { now: number; historyFloor: number; cfg: Pick<ScanConfig, 'bucketMs' | 'maxK' | 'maxDurationBuckets' | 'maxHistoryDays'>; utcOffsetAt: ((epochMs: number) => number) | null },
): { input: ScanCubeInput; options: ScanCubeOptions } {
  const historyStart = Math.min(o.historyFloor, cube.firstBucket ?? o.historyFloor);
  return {
    input: { cells: [], rows: cube.rows, now: o.now, bucketMs: o.cfg.bucketMs, historyStart },
    options: {
      maxK: o.cfg.maxK,
      maxDurationBuckets: o.cfg.maxDurationBuckets,
      maxHistoryBuckets: Math.round((o.cfg.maxHistoryDays * 86_400_000) / o.cfg.bucketMs),
      ...(o.utcOffsetAt ? { baseline: { utcOffsetAt: o.utcOffsetAt } } : {}),
    },
  };
}

/**
 * Only the area's cells (when the org has an area): rows outside it are dropped and
 * the window's case counts recomputed. Without an area every cell with events counts.
 */
export function restrictToArea(cubes: ReadonlyArray<CategoryCube>, area: ReadonlySet<string> | null, studyStart: number): CategoryCube[] {
  if (!area) return [...cubes];
  return cubes.map((c) => {
    const rows = c.rows.filter((r) => area.has(r.cell));
    let first: number | null = null;
    let inWindow = 0;
    for (const r of rows) {
      if (first === null || r.bucketStart < first) first = r.bucketStart;
      if (r.bucketStart >= studyStart) inWindow += r.n;
    }
    return { category: c.category, rows, firstBucket: first, casesInWindow: inWindow };
  });
}
