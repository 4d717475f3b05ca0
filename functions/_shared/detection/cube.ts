/**
 * Count-cube preparation for scanCube: time axis (study window of W buckets ending
 * now, history before it), universe and H3 disk index, observed study counts and the
 * history aggregates the baseline model needs, and the automatic model choice.
 */
import { daySlot, type HistoryAggregates, resolveBaselineOptions, type ResolvedBaselineOptions, type SlotClock, slotClock, weekSlot } from './baselines.ts';
import type { ScanCubeInput, ScanCubeOptions } from './types.ts';
import { buildH3DiskIndex, type H3DiskIndex } from './zones/h3-disks.ts';

export const DEFAULT_BUCKET_MS = 3_600_000;

/** Documented defaults of scanCube (see docs/detection.md). */
export const SCAN_CUBE_DEFAULTS = Object.freeze({
  bucketMs: DEFAULT_BUCKET_MS,
  maxK: 3,
  maxDurationBuckets: 6,
  maxHistoryDays: 28,
  minHistoryDays: 7,
  minHistoryCases: 20,
  minCases: 2,
  centers: 'cases' as const,
  maxClusters: 10,
  secondaryClusters: 'no-geo-overlap' as const,
  replicates: 999,
  earlyStopAfter: 50,
  budgetMs: 1000,
  maxAdjustedAnalyses: 168,
});

function indexCovers(idx: H3DiskIndex, cells: Iterable<string>, maxK: number): boolean {
  if (idx.maxK !== maxK) return false;
  for (const c of cells) if (!idx.index.has(c)) return false;
  return true;
}

export interface PreparedCube {
  bucketMs: number;
  /** End of the study window (now rounded up to a bucket boundary). */
  end: number;
  /** How much of the latest bucket has elapsed at `now`: (0, 1]; 1 on a bucket boundary. */
  elapsed: number;
  studyStart: number;
  histStart: number;
  W: number;
  H: number;
  diskIndex: H3DiskIndex;
  diskIndexReused: boolean;
  nLoc: number;
  clock: SlotClock;
  bopts: ResolvedBaselineOptions;
  /** Study-window counts, nLoc × W (bucket W−1 = latest). */
  observed: Float64Array;
  studyTotals: Float64Array;
  hist: HistoryAggregates;
  /** Pooled count of every history bucket (length H). */
  historyBucketTotals: Float64Array;
  /** Week slot of each study bucket. */
  studySlots: Int32Array;
  historyCases: number;
  casesInWindow: number;
  model: 'ebp' | 'permutation';
  modelReason: string;
}

export function prepareCube(input: ScanCubeInput, options: ScanCubeOptions): PreparedCube {
  const bucketMs = input.bucketMs ?? DEFAULT_BUCKET_MS;
  if (!(bucketMs > 0) || !Number.isInteger(bucketMs)) throw new RangeError('bucketMs must be a positive integer');
  if (!Number.isFinite(input.now)) throw new RangeError('now must be a finite epoch ms');
  const W = options.maxDurationBuckets ?? SCAN_CUBE_DEFAULTS.maxDurationBuckets;
  const maxK = options.maxK ?? SCAN_CUBE_DEFAULTS.maxK;
  if (!Number.isInteger(W) || W < 1) throw new RangeError('maxDurationBuckets must be an integer ≥ 1');
  const maxHistory = options.maxHistoryBuckets ?? Math.round((SCAN_CUBE_DEFAULTS.maxHistoryDays * 86_400_000) / bucketMs);
  const minHistory = options.minHistoryBuckets ?? Math.round((SCAN_CUBE_DEFAULTS.minHistoryDays * 86_400_000) / bucketMs);
  const minHistoryCases = options.minHistoryCases ?? SCAN_CUBE_DEFAULTS.minHistoryCases;
  const bopts = resolveBaselineOptions(options.baseline);

  // Time axis: the study window is the W buckets ending at `end`.
  const end = Math.ceil(input.now / bucketMs) * bucketMs;
  const studyStart = end - W * bucketMs;
  let histStart = input.historyStart;
  if (histStart === undefined) {
    histStart = studyStart;
    for (const r of input.rows) if (r.bucketStart < histStart) histStart = r.bucketStart;
  }
  histStart = Math.floor(histStart / bucketMs) * bucketMs;
  histStart = Math.max(histStart, studyStart - maxHistory * bucketMs);
  if (histStart > studyStart) histStart = studyStart;
  const H = Math.round((studyStart - histStart) / bucketMs);

  // Universe and disk zones.
  const universe: string[] = input.cells.map((c) => c.cell);
  for (const r of input.rows) if (r.bucketStart >= histStart && r.bucketStart < end) universe.push(r.cell);
  let diskIndex = options.diskIndex;
  const reused = diskIndex !== undefined && indexCovers(diskIndex, universe, maxK);
  if (!diskIndex || !reused) diskIndex = buildH3DiskIndex(universe, maxK);
  const nLoc = diskIndex.cells.length;

  // Aggregate the cube.
  const clock = slotClock(bucketMs, bopts.utcOffsetMinutes, bopts.utcOffsetAt);
  const S = clock.perWeek;
  const D = clock.perDay;
  const observed = new Float64Array(nLoc * W);
  const bucketSlot = new Int32Array(H);
  for (let t = 0; t < H; t++) bucketSlot[t] = weekSlot(clock, histStart + t * bucketMs);
  const hist: HistoryAggregates = {
    nCells: nLoc,
    nBuckets: H,
    bucketSlot,
    slotTotals: new Float64Array(S),
    cellTotals: new Float64Array(nLoc),
    cellDayTotals: new Float64Array(nLoc * D),
  };
  const studyTotals = new Float64Array(W);
  const historyBucketTotals = new Float64Array(H);
  let historyCases = 0;
  let casesInWindow = 0;
  for (const r of input.rows) {
    if (r.bucketStart < histStart || r.bucketStart >= end) continue;
    const n = r.n;
    if (!(n >= 0) || !Number.isFinite(n)) throw new RangeError(`row n must be a finite count ≥ 0 (cell ${r.cell})`);
    const cnt = Math.round(n);
    if (cnt === 0) continue;
    const l = diskIndex.index.get(r.cell)!;
    const b = Math.floor((r.bucketStart - histStart) / bucketMs);
    if (b >= H) {
      const j = b - H;
      observed[l * W + j] = observed[l * W + j]! + cnt;
      studyTotals[j] = studyTotals[j]! + cnt;
      casesInWindow += cnt;
    } else {
      historyBucketTotals[b] = historyBucketTotals[b]! + cnt;
      const s = bucketSlot[b]!;
      hist.slotTotals[s] = hist.slotTotals[s]! + cnt;
      hist.cellTotals[l] = hist.cellTotals[l]! + cnt;
      const cd = l * D + daySlot(clock, s);
      hist.cellDayTotals[cd] = hist.cellDayTotals[cd]! + cnt;
      historyCases += cnt;
    }
  }

  // Model choice.
  let model: 'ebp' | 'permutation';
  let modelReason: string;
  const requested = options.model ?? 'auto';
  if (requested !== 'auto') {
    if (requested === 'ebp' && historyCases === 0) throw new RangeError("model 'ebp' needs history with cases (none before the study window)");
    model = requested;
    modelReason = `forced ${requested}`;
  } else if (H < minHistory) {
    model = 'permutation';
    modelReason = `history ${H} buckets < ${minHistory}`;
  } else if (historyCases < minHistoryCases) {
    model = 'permutation';
    modelReason = `history cases ${historyCases} < ${minHistoryCases}`;
  } else {
    model = 'ebp';
    modelReason = `history ${H} buckets, ${historyCases} cases`;
  }

  const studySlots = new Int32Array(W);
  for (let j = 0; j < W; j++) studySlots[j] = weekSlot(clock, studyStart + j * bucketMs);
  return {
    bucketMs,
    end,
    elapsed: (input.now - (end - bucketMs)) / bucketMs,
    studyStart,
    histStart,
    W,
    H,
    diskIndex,
    diskIndexReused: reused,
    nLoc,
    clock,
    bopts,
    observed,
    studyTotals,
    hist,
    historyBucketTotals,
    studySlots,
    historyCases,
    casesInWindow,
    model,
    modelReason,
  };
}
