/**
 * A hotspot's cells hour by hour: observed events against the expected counts the scan
 * works with, from the detection engine's own estimate (`estimateCubeBaselines`) run on
 * the same cube rows with the same inputs as the scan (hotspot-scan's `engineInput`).
 *
 * Which estimate for a past hour? The scan estimates the W hours of its study window
 * (the org's longest window) from the history before that window. The chart is cut into
 * such windows, laid end to end from the hotspot's window end — so the block holding the
 * cluster's window is exactly the detecting scan's study window — back to the chart's
 * start and forward to its end. Every hour thus carries the expected count of the scan
 * whose study window covered it; the last block stops at the chart's end (the current
 * hour, prorated by the elapsed fraction as the scan prorates it).
 *
 * Pure: the caller reads the rows (store/read.ts) and passes the engine.
 */
import type { CubeRow, ScanCubeInput, ScanCubeOptions } from '../../_shared/detection/types.ts';
import { buildH3DiskIndex, type H3DiskIndex } from '../../_shared/detection/zones/h3-disks.ts';
import { engineInput } from '../../hotspot-scan/rules/detect.ts';
import type { ScanConfig } from '../../hotspot-scan/rules/config.ts';
import { historyFloor, scanWindow } from '../../hotspot-scan/rules/window.ts';
import { poissonBand } from './band.ts';

export type BaselineEngine = (input: ScanCubeInput, options?: ScanCubeOptions) => {
  cells: ReadonlyArray<string>; bucketStarts: number[]; baselines: Float64Array; model: 'ebp' | 'permutation';
};

export type SeriesConfig = Pick<ScanConfig, 'bucketMs' | 'maxK' | 'maxDurationBuckets' | 'maxHistoryDays'>;

export interface SeriesRange {
  /** Chart range [from, to), whole buckets. */
  from: number;
  to: number;
  /** The clock the chart is drawn at (inside the last bucket, or its end). */
  until: number;
}

/** One engine call: the study window [start, end) of a scan at `now`. */
export interface Block {
  start: number;
  end: number;
  now: number;
  buckets: number;
}

export function seriesRange(until: number, hours: number, bucketMs: number): SeriesRange {
  const to = Math.ceil(until / bucketMs) * bucketMs;
  return { from: to - hours * bucketMs, to, until };
}

/** Study windows of W buckets ending at anchor + j·W, covering the range; the last cut at its end. */
export function planBlocks(range: SeriesRange, anchor: number, cfg: Pick<SeriesConfig, 'bucketMs' | 'maxDurationBuckets'>): Block[] {
  const b = cfg.bucketMs;
  const span = cfg.maxDurationBuckets * b;
  const a = Math.floor(anchor / b) * b;
  // The first block ends strictly after `from`.
  let e = a + (Math.floor((range.from - a) / span) + 1) * span;
  const out: Block[] = [];
  for (; e - span < range.to; e += span) {
    const start = e - span;
    const end = Math.min(e, range.to);
    out.push({ start, end, now: end === range.to ? range.until : end, buckets: Math.round((end - start) / b) });
  }
  return out;
}

export interface SeriesPoint {
  t: number;
  observed: number;
  expected: number;
  low: number;
  high: number;
  model: 'ebp' | 'permutation';
}

export interface SeriesInput {
  /** The hotspot's cells. */
  cells: ReadonlyArray<string>;
  /** The category's cube rows, already limited to the org's area (as the scan reads them), covering every block's history. */
  rows: ReadonlyArray<CubeRow>;
  range: SeriesRange;
  anchor: number;
  cfg: SeriesConfig;
  orgCreatedMs: number | null;
  utcOffsetAt: ((epochMs: number) => number) | null;
}

/** Earliest bucket the engine calls read: the first block's history start. */
export function readFrom(range: SeriesRange, anchor: number, cfg: SeriesConfig): number {
  const [first] = planBlocks(range, anchor, cfg);
  return scanWindow(first!.now, { ...cfg, maxDurationBuckets: first!.buckets }).readFrom;
}

export function hotspotSeries(input: SeriesInput, engine: BaselineEngine): SeriesPoint[] {
  const { cfg, range } = input;
  const b = cfg.bucketMs;
  const n = Math.round((range.to - range.from) / b);
  const observed = new Float64Array(n);
  const expected = new Float64Array(n);
  const model: Array<'ebp' | 'permutation'> = new Array(n).fill('ebp');
  const mine = new Set(input.cells);
  for (const r of input.rows) {
    if (!mine.has(r.cell) || r.bucketStart < range.from || r.bucketStart >= range.to) continue;
    const i = Math.floor((r.bucketStart - range.from) / b);
    observed[i] = observed[i]! + r.n;
  }
  // Consecutive blocks mostly share their universe (the cells with rows in the history
  // read): their disk index is built once. Only an index of exactly the universe is
  // passed — a larger one would change the universe and so the baselines.
  const indexes = new Map<string, H3DiskIndex>();
  const indexFor = (rows: ReadonlyArray<CubeRow>): H3DiskIndex => {
    const cells = [...new Set(rows.map((r) => r.cell))].sort();
    const key = cells.join();
    let idx = indexes.get(key);
    if (!idx) indexes.set(key, (idx = buildH3DiskIndex(cells, cfg.maxK)));
    return idx;
  };
  for (const block of planBlocks(range, input.anchor, cfg)) {
    const blockCfg = { ...cfg, maxDurationBuckets: block.buckets };
    const w = scanWindow(block.now, blockCfg);
    // The rows the scan at `block.now` reads: [its history start, its window end).
    const rows = input.rows.filter((r) => r.bucketStart >= w.readFrom && r.bucketStart < w.end);
    let firstBucket: number | null = null;
    for (const r of rows) if (firstBucket === null || r.bucketStart < firstBucket) firstBucket = r.bucketStart;
    const { input: engineIn, options } = engineInput({ rows, firstBucket }, {
      now: block.now, historyFloor: historyFloor(w, input.orgCreatedMs, b), cfg: blockCfg, utcOffsetAt: input.utcOffsetAt,
    });
    const est = engine(engineIn, { ...options, diskIndex: indexFor(rows) });
    const W = est.bucketStarts.length;
    est.cells.forEach((cell, l) => {
      if (!mine.has(cell)) return;
      for (let j = 0; j < W; j++) {
        const i = Math.round((est.bucketStarts[j]! - range.from) / b);
        if (i >= 0 && i < n) expected[i] = expected[i]! + est.baselines[l * W + j]!;
      }
    });
    for (let j = 0; j < W; j++) {
      const i = Math.round((est.bucketStarts[j]! - range.from) / b);
      if (i >= 0 && i < n) model[i] = est.model;
    }
  }
  return Array.from({ length: n }, (_, i) => ({
    t: range.from + i * b, observed: observed[i]!, expected: expected[i]!, ...poissonBand(expected[i]!), model: model[i]!,
  }));
}
