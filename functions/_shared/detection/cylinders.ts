/**
 * Space-time cylinders (zone × time window) and the scan kernel.
 *
 * The scanned time axis has B buckets in chronological order (bucket B−1 is the
 * latest). Windows are
 *  - prospective: the `maxDuration` windows ending with the latest bucket, [B−d, B) for
 *    d = 1..maxDuration (only "alive" clusters, SaTScan's prospective analysis);
 *  - retrospective: every [s, e) with 1 ≤ e − s ≤ maxDuration.
 *
 * Per location the counts are first reduced to a small "basis" vector once per data
 * set (prospective: suffix sums, one per duration; retrospective: prefix sums over
 * time, B + 1 values), so a window count is one load (prospective) or one subtraction
 * (retrospective). Zones then grow incrementally: every centre walks its members once,
 * adding each member's basis to a running accumulator, and evaluates all windows at
 * each zone breakpoint. Expected counts per cylinder are fixed across Monte Carlo
 * replicates for all three models, so they are precomputed once (`zoneExpected`).
 * The replicate kernel (`max`) allocates nothing.
 */
import type { ZoneSet } from './zones/zone-set.ts';

export type WindowKind = 'prospective' | 'retrospective';
/** 'ebp': c·log(c/b) + b − c; 'kulldorff': Poisson GLR conditioned on the total. */
export type ScoreKind = 'ebp' | 'kulldorff';
/**
 * Which centres a scan uses: 'all', or 'cases' = only centres whose own location has
 * at least one case in the scanned buckets. The rule is applied identically to the
 * observed data and to every replicate, so the Monte Carlo test stays exact.
 */
export type CenterRule = 'all' | 'cases';

export interface CylinderLayout {
  readonly kind: WindowKind;
  readonly nBuckets: number;
  readonly maxDuration: number;
  readonly nWindows: number;
  /** First bucket of window w (inclusive). */
  readonly winStart: Int32Array;
  /** End bucket of window w (exclusive). */
  readonly winEnd: Int32Array;
  /** Basis values per location: maxDuration (prospective) or nBuckets + 1 (retrospective). */
  readonly basisLength: number;
}

export function cylinderLayout(kind: WindowKind, nBuckets: number, maxDuration: number): CylinderLayout {
  if (!Number.isInteger(nBuckets) || nBuckets < 1) throw new RangeError('nBuckets must be an integer ≥ 1');
  const maxD = Math.min(nBuckets, maxDuration);
  if (!Number.isInteger(maxD) || maxD < 1) throw new RangeError('maxDuration must be an integer ≥ 1');
  const starts: number[] = [];
  const ends: number[] = [];
  if (kind === 'prospective') {
    for (let d = 1; d <= maxD; d++) {
      starts.push(nBuckets - d);
      ends.push(nBuckets);
    }
  } else {
    for (let e = 1; e <= nBuckets; e++) {
      for (let d = 1; d <= Math.min(maxD, e); d++) {
        starts.push(e - d);
        ends.push(e);
      }
    }
  }
  return {
    kind,
    nBuckets,
    maxDuration: maxD,
    nWindows: starts.length,
    winStart: Int32Array.from(starts),
    winEnd: Int32Array.from(ends),
    basisLength: kind === 'prospective' ? maxD : nBuckets + 1,
  };
}

/**
 * Windows of the last `analyses` prospective analyses (SaTScan's "adjust for earlier
 * analyses"): every window of duration 1..maxDuration that ends at one of the last
 * `analyses` bucket boundaries of the axis. Uses the retrospective (prefix) kernel.
 */
export function analysesLayout(nBuckets: number, maxDuration: number, analyses: number): CylinderLayout {
  if (!Number.isInteger(analyses) || analyses < 1 || analyses > nBuckets) throw new RangeError('analyses must be an integer in [1, nBuckets]');
  const maxD = Math.min(nBuckets, maxDuration);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let e = nBuckets - analyses + 1; e <= nBuckets; e++) {
    for (let d = 1; d <= Math.min(maxD, e); d++) {
      starts.push(e - d);
      ends.push(e);
    }
  }
  return {
    kind: 'retrospective',
    nBuckets,
    maxDuration: maxD,
    nWindows: starts.length,
    winStart: Int32Array.from(starts),
    winEnd: Int32Array.from(ends),
    basisLength: nBuckets + 1,
  };
}

/** Reduce one location's bucket values (x row l) to its basis vector. */
export function fillBasisRow(layout: CylinderLayout, l: number, x: Float64Array, basis: Float64Array): void {
  const B = layout.nBuckets;
  const nb = layout.basisLength;
  const ob = l * nb;
  let s = 0;
  if (layout.kind === 'prospective') {
    const xb = l * B + B - 1;
    for (let d = 0; d < nb; d++) {
      s += x[xb - d]!;
      basis[ob + d] = s;
    }
  } else {
    const xb = l * B;
    basis[ob] = 0;
    for (let t = 0; t < B; t++) {
      s += x[xb + t]!;
      basis[ob + t + 1] = s;
    }
  }
}

/** Reduce per-location bucket values x (nLoc × B, row-major) to basis vectors. */
export function fillBasis(layout: CylinderLayout, nLoc: number, x: Float64Array, basis: Float64Array): void {
  for (let l = 0; l < nLoc; l++) fillBasisRow(layout, l, x, basis);
}

/** Sum of x over cylinder (zone z, window w) for every cylinder: nZones × nWindows. */
export function zoneWindowSums(zones: ZoneSet, layout: CylinderLayout, x: Float64Array): Float64Array {
  const nb = layout.basisLength;
  const nW = layout.nWindows;
  const basis = new Float64Array(zones.nLocations * nb);
  fillBasis(layout, zones.nLocations, x, basis);
  const out = new Float64Array(zones.nZones * nW);
  const acc = new Float64Array(nb);
  const prospective = layout.kind === 'prospective';
  for (let c = 0; c < zones.nCenters; c++) {
    acc.fill(0);
    const m0 = zones.seqStart[c]!;
    let pos = 0;
    for (let z = zones.zoneStart[c]!; z < zones.zoneStart[c + 1]!; z++) {
      const size = zones.zoneSize[z]!;
      for (; pos < size; pos++) {
        const b = zones.members[m0 + pos]! * nb;
        for (let i = 0; i < nb; i++) acc[i] = acc[i]! + basis[b + i]!;
      }
      const o = z * nW;
      if (prospective) {
        for (let w = 0; w < nW; w++) out[o + w] = acc[w]!;
      } else {
        for (let w = 0; w < nW; w++) out[o + w] = acc[layout.winEnd[w]!]! - acc[layout.winStart[w]!]!;
      }
    }
  }
  return out;
}

export interface ScannerConfig {
  zones: ZoneSet;
  layout: CylinderLayout;
  score: ScoreKind;
  /** Total cases C (Kulldorff/permutation GLR); ignored by EBP. */
  total: number;
  /** Minimum observed cases in a cylinder for it to count (≥ 1). */
  minCases: number;
  centerRule: CenterRule;
  /** Expected count per cylinder, nZones × nWindows (see zoneWindowSums). */
  zoneExpected: Float64Array;
}

/** Per-zone best cylinder of one data set (observed scan). */
export interface ZoneBests {
  score: Float64Array;
  window: Int32Array;
  observed: Float64Array;
  /** Zones evaluated (centre active under the centre rule). */
  zonesEvaluated: number;
}

export class CylinderScanner {
  readonly cfg: ScannerConfig;
  /** Basis vectors of the currently loaded data (nLoc × basisLength). */
  readonly basis: Float64Array;
  /** 1 where a location has any case in the loaded data (a small, cache-resident mask). */
  private readonly active: Uint8Array;
  private readonly acc: Float64Array;

  constructor(cfg: ScannerConfig) {
    if (cfg.zoneExpected.length !== cfg.zones.nZones * cfg.layout.nWindows) {
      throw new RangeError('zoneExpected must hold nZones × nWindows values');
    }
    this.cfg = cfg;
    this.basis = new Float64Array(cfg.zones.nLocations * cfg.layout.basisLength);
    this.acc = new Float64Array(cfg.layout.basisLength);
    this.active = new Uint8Array(cfg.zones.nLocations);
  }

  private refreshActive(l: number): void {
    const nb = this.cfg.layout.basisLength;
    const total = this.cfg.layout.kind === 'prospective'
      ? this.basis[l * nb + nb - 1]!
      : this.basis[l * nb + nb - 1]! - this.basis[l * nb]!;
    this.active[l] = total > 0 ? 1 : 0;
  }

  /** Load one data set: x is nLoc × nBuckets (row-major by location). */
  load(x: Float64Array): void {
    fillBasis(this.cfg.layout, this.cfg.zones.nLocations, x, this.basis);
    for (let l = 0; l < this.cfg.zones.nLocations; l++) this.refreshActive(l);
  }

  /** Zero every basis vector (before sparse loading). */
  clear(): void {
    this.basis.fill(0);
    this.active.fill(0);
  }

  /** Refresh the basis of the listed locations only (sparse replicate loading). */
  loadRows(x: Float64Array, rows: Int32Array, n: number): void {
    for (let q = 0; q < n; q++) {
      fillBasisRow(this.cfg.layout, rows[q]!, x, this.basis);
      this.refreshActive(rows[q]!);
    }
  }

  /** Zero the basis of the listed locations. */
  clearRows(rows: Int32Array, n: number): void {
    const nb = this.cfg.layout.basisLength;
    for (let q = 0; q < n; q++) {
      this.basis.fill(0, rows[q]! * nb, rows[q]! * nb + nb);
      this.active[rows[q]!] = 0;
    }
  }

  private centerActive(loc: number): boolean {
    return this.active[loc] === 1;
  }

  /** Scan statistic (maximum score over all cylinders) of the loaded data. */
  max(): number {
    return this.cfg.layout.kind === 'prospective' ? this.maxProspective() : this.maxRetrospective();
  }

  private maxProspective(): number {
    return this.cfg.layout.nWindows <= 8 ? this.maxProspectiveSmall() : this.maxProspectiveGeneric();
  }

  /**
   * Prospective kernel for up to 8 windows: the running zone sums live in local
   * variables (registers) instead of a typed array, and the W tests are loop-invariant
   * branches, so adding a member costs W loads and adds.
   */
  private maxProspectiveSmall(): number {
    const { zones, minCases, zoneExpected, total } = this.cfg;
    const ebp = this.cfg.score === 'ebp';
    const useCases = this.cfg.centerRule === 'cases';
    const W = this.cfg.layout.nWindows;
    const basis = this.basis;
    const acc = this.acc;
    const members = zones.members;
    const seqStart = zones.seqStart;
    const zoneStart = zones.zoneStart;
    const zoneSize = zones.zoneSize;
    const centerLocation = zones.centerLocation;
    const active = this.active;
    let best = 0;
    for (let c = 0; c < zones.nCenters; c++) {
      if (useCases && active[centerLocation[c]!] === 0) continue;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      const m0 = seqStart[c]!;
      let pos = 0;
      const zEnd = zoneStart[c + 1]!;
      for (let z = zoneStart[c]!; z < zEnd; z++) {
        const size = zoneSize[z]!;
        let added = z === zoneStart[c]!;
        for (; pos < size; pos++) {
          const m = members[m0 + pos]!;
          // Members without any case add nothing to any window.
          if (active[m] === 1) {
            added = true;
            const b = m * W;
            a0 += basis[b]!;
            if (W > 1) {
              a1 += basis[b + 1]!;
              if (W > 2) {
                a2 += basis[b + 2]!;
                if (W > 3) {
                  a3 += basis[b + 3]!;
                  if (W > 4) {
                    a4 += basis[b + 4]!;
                    if (W > 5) {
                      a5 += basis[b + 5]!;
                      if (W > 6) {
                        a6 += basis[b + 6]!;
                        if (W > 7) a7 += basis[b + 7]!;
                      }
                    }
                  }
                }
              }
            }
          }
        }
        // Without new cases a larger zone has the same counts and larger expectations,
        // and both scores decrease in the expectation when c > e: nothing can improve.
        if (!added) continue;
        acc[0] = a0;
        if (W > 1) acc[1] = a1;
        if (W > 2) acc[2] = a2;
        if (W > 3) acc[3] = a3;
        if (W > 4) acc[4] = a4;
        if (W > 5) acc[5] = a5;
        if (W > 6) acc[6] = a6;
        if (W > 7) acc[7] = a7;
        const o = z * W;
        for (let w = 0; w < W; w++) {
          const obs = acc[w]!;
          if (obs < minCases) continue;
          const e = zoneExpected[o + w]!;
          if (!(obs > e)) continue;
          // Cheap upper bound from log x ≤ x − 1 (no logarithm): skip cylinders that
          // cannot beat the best so far. EBP: (c−e)²/e; GLR: C(c−e)²/(e(C−e)).
          const dc = obs - e;
          const bound = ebp ? (dc * dc) / e : (total * dc * dc) / (e * (total - e));
          if (bound <= best) continue;
          let s = obs * Math.log(obs / e);
          if (ebp) s += e - obs;
          else if (total > obs) s += (total - obs) * Math.log((total - obs) / (total - e));
          if (s > best) best = s;
        }
      }
    }
    return best;
  }

  private maxProspectiveGeneric(): number {
    const { zones, minCases, zoneExpected, total } = this.cfg;
    const ebp = this.cfg.score === 'ebp';
    const useCases = this.cfg.centerRule === 'cases';
    const W = this.cfg.layout.nWindows;
    const basis = this.basis;
    const acc = this.acc;
    const members = zones.members;
    const seqStart = zones.seqStart;
    const zoneStart = zones.zoneStart;
    const zoneSize = zones.zoneSize;
    const centerLocation = zones.centerLocation;
    const active = this.active;
    let best = 0;
    for (let c = 0; c < zones.nCenters; c++) {
      if (useCases && active[centerLocation[c]!] === 0) continue;
      for (let w = 0; w < W; w++) acc[w] = 0;
      const m0 = seqStart[c]!;
      let pos = 0;
      const zEnd = zoneStart[c + 1]!;
      for (let z = zoneStart[c]!; z < zEnd; z++) {
        const size = zoneSize[z]!;
        let added = z === zoneStart[c]!;
        for (; pos < size; pos++) {
          const m = members[m0 + pos]!;
          // Members without any case add nothing to any window.
          if (active[m] === 1) {
            added = true;
            const b = m * W;
            for (let w = 0; w < W; w++) acc[w] = acc[w]! + basis[b + w]!;
          }
        }
        // Without new cases a larger zone has the same counts and larger expectations,
        // and both scores decrease in the expectation when c > e: nothing can improve.
        if (!added) continue;
        const o = z * W;
        for (let w = 0; w < W; w++) {
          const obs = acc[w]!;
          if (obs < minCases) continue;
          const e = zoneExpected[o + w]!;
          if (!(obs > e)) continue;
          // Cheap upper bound from log x ≤ x − 1 (no logarithm): skip cylinders that
          // cannot beat the best so far. EBP: (c−e)²/e; GLR: C(c−e)²/(e(C−e)).
          const dc = obs - e;
          const bound = ebp ? (dc * dc) / e : (total * dc * dc) / (e * (total - e));
          if (bound <= best) continue;
          let s = obs * Math.log(obs / e);
          if (ebp) s += e - obs;
          else if (total > obs) s += (total - obs) * Math.log((total - obs) / (total - e));
          if (s > best) best = s;
        }
      }
    }
    return best;
  }

  private maxRetrospective(): number {
    const { zones, minCases, zoneExpected, total, layout } = this.cfg;
    const ebp = this.cfg.score === 'ebp';
    const useCases = this.cfg.centerRule === 'cases';
    const nb = layout.basisLength;
    const nW = layout.nWindows;
    const winStart = layout.winStart;
    const winEnd = layout.winEnd;
    const basis = this.basis;
    const acc = this.acc;
    let best = 0;
    for (let c = 0; c < zones.nCenters; c++) {
      if (useCases && !this.centerActive(zones.centerLocation[c]!)) continue;
      acc.fill(0);
      const m0 = zones.seqStart[c]!;
      let pos = 0;
      for (let z = zones.zoneStart[c]!; z < zones.zoneStart[c + 1]!; z++) {
        const size = zones.zoneSize[z]!;
        let added = z === zones.zoneStart[c]!;
        for (; pos < size; pos++) {
          const m = zones.members[m0 + pos]!;
          if (this.active[m] === 1) {
            added = true;
            const b = m * nb;
            for (let i = 0; i < nb; i++) acc[i] = acc[i]! + basis[b + i]!;
          }
        }
        if (!added) continue;
        const o = z * nW;
        for (let w = 0; w < nW; w++) {
          const obs = acc[winEnd[w]!]! - acc[winStart[w]!]!;
          if (obs < minCases) continue;
          const e = zoneExpected[o + w]!;
          if (!(obs > e)) continue;
          const dc = obs - e;
          const bound = ebp ? (dc * dc) / e : (total * dc * dc) / (e * (total - e));
          if (bound <= best) continue;
          let s = obs * Math.log(obs / e);
          if (ebp) s += e - obs;
          else if (total > obs) s += (total - obs) * Math.log((total - obs) / (total - e));
          if (s > best) best = s;
        }
      }
    }
    return best;
  }

  /** Observed scan: best cylinder of every zone (score 0 / window −1 when none qualifies). */
  zoneBests(): ZoneBests {
    const { zones, minCases, zoneExpected, total, layout } = this.cfg;
    const ebp = this.cfg.score === 'ebp';
    const useCases = this.cfg.centerRule === 'cases';
    const nb = layout.basisLength;
    const nW = layout.nWindows;
    const prospective = layout.kind === 'prospective';
    const score = new Float64Array(zones.nZones);
    const window = new Int32Array(zones.nZones).fill(-1);
    const observed = new Float64Array(zones.nZones);
    const acc = this.acc;
    let evaluated = 0;
    for (let c = 0; c < zones.nCenters; c++) {
      if (useCases && !this.centerActive(zones.centerLocation[c]!)) continue;
      acc.fill(0);
      const m0 = zones.seqStart[c]!;
      let pos = 0;
      for (let z = zones.zoneStart[c]!; z < zones.zoneStart[c + 1]!; z++) {
        evaluated++;
        const size = zones.zoneSize[z]!;
        for (; pos < size; pos++) {
          const b = zones.members[m0 + pos]! * nb;
          for (let i = 0; i < nb; i++) acc[i] = acc[i]! + this.basis[b + i]!;
        }
        const o = z * nW;
        let best = 0;
        let bestW = -1;
        let bestObs = 0;
        for (let w = 0; w < nW; w++) {
          const obs = prospective ? acc[w]! : acc[layout.winEnd[w]!]! - acc[layout.winStart[w]!]!;
          if (obs < minCases) continue;
          const e = zoneExpected[o + w]!;
          if (!(obs > e)) continue;
          let s = obs * Math.log(obs / e);
          if (ebp) s += e - obs;
          else if (total > obs) s += (total - obs) * Math.log((total - obs) / (total - e));
          if (s > best) {
            best = s;
            bestW = w;
            bestObs = obs;
          }
        }
        score[z] = best;
        window[z] = bestW;
        observed[z] = bestObs;
      }
    }
    return { score, window, observed, zonesEvaluated: evaluated };
  }
}
