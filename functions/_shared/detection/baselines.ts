/**
 * Baselines for the expectation-based Poisson model on the count cube.
 *
 * Model (multiplicative, every component shrunk toward a simpler one, so short or
 * sparse histories degrade gracefully instead of producing zero baselines):
 *
 *   b(c, t) = max(floor, λ_c · f_slot(t) · r_c,hod(t))
 *
 * 1. Temporal profile f (all cells pooled): the hour-of-week factor is the pooled
 *    count in that slot over its expectation under a flat rate, shrunk toward the
 *    hour-of-day factor, which is itself shrunk toward 1 (τ = profilePrior
 *    pseudo-cases each):
 *      g_d = (A_d + τ) / (m_d·ā + τ),   f_h = (A_h + τ·g_d(h)) / (m_h·ā + τ),
 *    with A the pooled history counts of the slot, m its number of history buckets and
 *    ā the pooled mean count per bucket. With less than a week of history the
 *    hour-of-week slots have no data and f falls back to the hour-of-day profile.
 * 2. Cell rate λ_c (per bucket at profile 1): the cell's history count over its
 *    profile-weighted exposure E = Σ_t f_slot(t), with a gamma prior (shape a =
 *    cellPrior) centred on the universe mean μ per cell-bucket:
 *      λ_c = (N_c + a) / (E + a/μ).
 *    Cells with no history (new cells, k-ring neighbours) get a small positive rate.
 * 3. Cell hour-of-day deviation r (a trailing mean by hour of day, relative to what
 *    the pooled profile predicts), shrunk toward 1 with κ = cellHourPrior pseudo-cases:
 *      r_c,d = (n_c,d + κ) / (λ_c·F_d + κ),   F_d = Σ_{t in history, hod d} f_slot(t).
 * 4. floor = max(floorAbsolute, floorFraction·μ): no cylinder has a zero baseline.
 *
 * No trend term: the trailing history (28 days by default) tracks slow drift.
 * Slots follow local time: a fixed utcOffsetMinutes, or utcOffsetAt(t) per bucket so
 * a zone with daylight saving keeps its daily rhythm across the change (the caller
 * supplies the function, e.g. from an IANA zone via Intl; the engine stays pure).
 * Bucket lengths that do not divide a day (week) disable the daily (weekly) profile.
 */
import type { CubeBaselineOptions } from './types.ts';

export { fitPoissonGlm, predictPoissonGlm } from './glm.ts';

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

export interface ResolvedBaselineOptions {
  profilePrior: number;
  cellPrior: number;
  priorRadius: number;
  cellHourPrior: number;
  floorFraction: number;
  floorAbsolute: number;
  predictive: boolean;
  utcOffsetMinutes: number;
  utcOffsetAt: ((epochMs: number) => number) | null;
}

export function resolveBaselineOptions(o: CubeBaselineOptions | undefined): ResolvedBaselineOptions {
  const r: ResolvedBaselineOptions = {
    profilePrior: o?.profilePrior ?? 20,
    cellPrior: o?.cellPrior ?? 2,
    priorRadius: o?.priorRadius ?? 2,
    cellHourPrior: o?.cellHourPrior ?? 10,
    floorFraction: o?.floorFraction ?? 0.01,
    floorAbsolute: o?.floorAbsolute ?? 1e-6,
    predictive: o?.predictive ?? true,
    utcOffsetMinutes: o?.utcOffsetMinutes ?? 0,
    utcOffsetAt: o?.utcOffsetAt ?? null,
  };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number' && k !== 'utcOffsetMinutes' && !(v >= 0)) throw new RangeError(`baseline.${k} must be ≥ 0`);
  }
  if (!(r.floorAbsolute > 0)) throw new RangeError('baseline.floorAbsolute must be > 0');
  return r;
}

/** Slot geometry for a bucket length: slots per day and per week (1 = no cycle). */
export interface SlotClock {
  bucketMs: number;
  perDay: number;
  perWeek: number;
  offsetMs: number;
  /** Local offset in minutes at an instant (overrides offsetMs), or null. */
  offsetAt: ((epochMs: number) => number) | null;
}

export function slotClock(bucketMs: number, utcOffsetMinutes: number, utcOffsetAt: ((epochMs: number) => number) | null = null): SlotClock {
  const perDay = DAY_MS % bucketMs === 0 ? DAY_MS / bucketMs : 1;
  const perWeek = WEEK_MS % bucketMs === 0 ? WEEK_MS / bucketMs : perDay;
  return { bucketMs, perDay, perWeek, offsetMs: utcOffsetMinutes * 60_000, offsetAt: utcOffsetAt };
}

/** Hour-of-week slot of a bucket starting at t (epoch ms). */
export function weekSlot(clock: SlotClock, t: number): number {
  if (clock.perWeek === 1) return 0;
  const period = clock.perWeek * clock.bucketMs;
  const offsetMs = clock.offsetAt ? clock.offsetAt(t) * 60_000 : clock.offsetMs;
  const x = (((t + offsetMs) % period) + period) % period;
  return Math.floor(x / clock.bucketMs);
}

/** Hour-of-day slot of a week slot. */
export function daySlot(clock: SlotClock, weekSlotIndex: number): number {
  return clock.perDay === 1 ? 0 : weekSlotIndex % clock.perDay;
}

/** History aggregates the baseline model needs (filled by the caller from cube rows). */
export interface HistoryAggregates {
  nCells: number;
  /** History buckets (H). */
  nBuckets: number;
  /** Week slot of every history bucket (length H). */
  bucketSlot: Int32Array;
  /** Pooled history count per week slot (length perWeek). */
  slotTotals: Float64Array;
  /** History count per cell (length nCells). */
  cellTotals: Float64Array;
  /** History count per cell and day slot (nCells × perDay). */
  cellDayTotals: Float64Array;
  /** Spatial neighbours (CSR, excluding the cell) for the cell-rate prior; omit for a global prior. */
  neighbours?: { start: Int32Array; members: Int32Array };
}

export interface CubeBaseline {
  /** Baseline per cell and study bucket (nCells × W, row-major by cell). */
  baselines: Float64Array;
  /** Week profile f (length perWeek). */
  profile: Float64Array;
  cellRate: Float64Array;
  /**
   * Shape of each cell's baseline uncertainty (posterior gamma shape of λ_c combined
   * with that of its hour-of-day factor): 1/α = 1/(N_c + a) + 1/(n̄_c,d + κ).
   */
  cellShape: Float64Array;
  floor: number;
  /** Universe mean count per cell-bucket in the history. */
  meanRate: number;
}

export function cubeBaselines(
  hist: HistoryAggregates,
  clock: SlotClock,
  studySlots: Int32Array,
  opts: ResolvedBaselineOptions,
): CubeBaseline {
  const { nCells, nBuckets: H } = hist;
  const W = studySlots.length;
  const S = clock.perWeek;
  const D = clock.perDay;
  let total = 0;
  for (let s = 0; s < S; s++) total += hist.slotTotals[s]!;
  const aBar = H > 0 ? total / H : 0;
  const mu = H > 0 && nCells > 0 ? total / (H * nCells) : 0;
  const floor = Math.max(opts.floorAbsolute, opts.floorFraction * mu);

  // Buckets per slot in the history.
  const mSlot = new Float64Array(S);
  for (let t = 0; t < H; t++) mSlot[hist.bucketSlot[t]!] = mSlot[hist.bucketSlot[t]!]! + 1;
  const aDay = new Float64Array(D);
  const mDay = new Float64Array(D);
  for (let s = 0; s < S; s++) {
    const d = daySlot(clock, s);
    aDay[d] = aDay[d]! + hist.slotTotals[s]!;
    mDay[d] = mDay[d]! + mSlot[s]!;
  }
  const tau = opts.profilePrior;
  const g = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const den = mDay[d]! * aBar + tau;
    g[d] = den > 0 ? (aDay[d]! + tau) / den : 1;
  }
  const f = new Float64Array(S);
  for (let s = 0; s < S; s++) {
    const gd = g[daySlot(clock, s)]!;
    const den = mSlot[s]! * aBar + tau;
    f[s] = den > 0 ? (hist.slotTotals[s]! + tau * gd) / den : gd;
  }
  // Exposure E and per-day-slot exposure F_d.
  let E = 0;
  const F = new Float64Array(D);
  for (let s = 0; s < S; s++) {
    const w = mSlot[s]! * f[s]!;
    E += w;
    const d = daySlot(clock, s);
    F[d] = F[d]! + w;
  }
  const a = opts.cellPrior;
  const kappa = opts.cellHourPrior;
  const cellRate = new Float64Array(nCells);
  const cellShape = new Float64Array(nCells);
  const baselines = new Float64Array(nCells * W);
  const nb = hist.neighbours;
  for (let c = 0; c < nCells; c++) {
    // Prior mean: the neighbourhood's rate (itself shrunk toward the universe mean by
    // one pseudo-case), or the universe mean without neighbours.
    let m = mu;
    if (nb && mu > 0) {
      let sum = 0;
      const s0 = nb.start[c]!;
      const s1 = nb.start[c + 1]!;
      for (let i = s0; i < s1; i++) sum += hist.cellTotals[nb.members[i]!]!;
      m = (sum + 1) / ((s1 - s0) * E + 1 / mu);
    }
    const lam = m > 0 ? (hist.cellTotals[c]! + a) / (E + a / m) : 0;
    cellRate[c] = lam;
    let hourShape = 0;
    for (let j = 0; j < W; j++) {
      const s = studySlots[j]!;
      const d = daySlot(clock, s);
      const expD = lam * F[d]!;
      const r = kappa > 0 || expD > 0 ? (hist.cellDayTotals[c * D + d]! + kappa) / (expD + kappa) : 1;
      const b = lam * f[s]! * r;
      baselines[c * W + j] = b > floor ? b : floor;
      hourShape += hist.cellDayTotals[c * D + d]! + kappa;
    }
    hourShape /= W;
    const rateShape = hist.cellTotals[c]! + a;
    const inv = (rateShape > 0 ? 1 / rateShape : 0) + (kappa > 0 && hourShape > 0 ? 1 / hourShape : 0);
    cellShape[c] = inv > 0 ? 1 / inv : 1e12;
  }
  return { baselines, profile: f, cellRate, cellShape, floor, meanRate: mu };
}
