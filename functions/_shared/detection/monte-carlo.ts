/**
 * Monte Carlo significance for the scan statistic.
 *
 * R replicate data sets are drawn under the null and scanned exactly like the
 * observed data; the p-value of an observed score s is (1 + #{maxima ≥ s}) / (R + 1).
 * Options:
 *  - sequential early stop (SaTScan): stop as soon as `earlyStopAfter` (default 50)
 *    replicate maxima reached the observed statistic; the p-value is then h / r
 *    (Besag & Clifford 1991), and nothing is lost at α = 0.05;
 *  - a CPU budget: when the clock passes `budgetMs` since the scan started (checked
 *    after `minReplicates`, default 20), stop and let the Gumbel fit carry the p-value
 *    (recorded as budgetExhausted);
 *  - the Gumbel approximation for p-values below 1/(R + 1).
 */
import { fitGumbelMl, fitGumbelMoments, type GumbelFit, gumbelPValue } from './gumbel.ts';

export interface MonteCarloOptions {
  /** Replicates (default 999). 0 disables inference (p-values are 1). */
  replicates?: number;
  /** RNG seed (default 1). */
  seed?: number | string;
  /** Stop once this many replicates reach the observed statistic; 0 = never (default 50). */
  earlyStopAfter?: number;
  /** CPU budget in ms, measured from the start of the scan (default Infinity). */
  budgetMs?: number;
  /** Clock in ms (default performance.now); inject for deterministic budgets. */
  clock?: () => number;
  /** Gumbel fit method (default 'ml'). */
  gumbel?: 'ml' | 'moments';
  /** Minimum replicates for a Gumbel fit (default 10). */
  minReplicatesForGumbel?: number;
  /**
   * Replicates run before the CPU budget is checked (default 20), so that a scan whose
   * set-up used the budget still has a Gumbel fit instead of p = 1.
   */
  minReplicates?: number;
}

export interface MonteCarloRun {
  maxima: Float64Array;
  replications: number;
  exceedances: number;
  earlyStopped: boolean;
  budgetExhausted: boolean;
  gumbel: GumbelFit | null;
}

export interface ResolvedMonteCarlo {
  replicates: number;
  seed: number | string;
  earlyStopAfter: number;
  budgetMs: number;
  clock: () => number;
  gumbel: 'ml' | 'moments';
  minReplicatesForGumbel: number;
  minReplicates: number;
}

export function defaultClock(): number {
  return performance.now();
}

export function resolveMonteCarlo(o: MonteCarloOptions | undefined, defaults: Partial<ResolvedMonteCarlo> = {}): ResolvedMonteCarlo {
  const r: ResolvedMonteCarlo = {
    replicates: o?.replicates ?? defaults.replicates ?? 999,
    seed: o?.seed ?? defaults.seed ?? 1,
    earlyStopAfter: o?.earlyStopAfter ?? defaults.earlyStopAfter ?? 50,
    budgetMs: o?.budgetMs ?? defaults.budgetMs ?? Infinity,
    clock: o?.clock ?? defaults.clock ?? defaultClock,
    gumbel: o?.gumbel ?? defaults.gumbel ?? 'ml',
    minReplicatesForGumbel: o?.minReplicatesForGumbel ?? defaults.minReplicatesForGumbel ?? 10,
    minReplicates: o?.minReplicates ?? defaults.minReplicates ?? 20,
  };
  if (!Number.isInteger(r.replicates) || r.replicates < 0) throw new RangeError('replicates must be an integer ≥ 0');
  if (!Number.isInteger(r.earlyStopAfter) || r.earlyStopAfter < 0) throw new RangeError('earlyStopAfter must be an integer ≥ 0');
  if (!(r.budgetMs > 0)) throw new RangeError('budgetMs must be > 0');
  return r;
}

/**
 * Run replicates until R are done, the early-stop rule fires or the budget is spent.
 * `replicate()` returns one replicate's scan statistic.
 */
export function runMonteCarlo(
  observed: number,
  replicate: () => number,
  mc: ResolvedMonteCarlo,
  startedAt: number,
): MonteCarloRun {
  const maxima = new Float64Array(mc.replicates);
  let r = 0;
  let exceed = 0;
  let earlyStopped = false;
  let budgetExhausted = false;
  while (r < mc.replicates) {
    if (mc.budgetMs !== Infinity && r >= mc.minReplicates && mc.clock() - startedAt >= mc.budgetMs) {
      budgetExhausted = true;
      break;
    }
    const m = replicate();
    maxima[r++] = m;
    if (m >= observed) {
      exceed++;
      if (mc.earlyStopAfter > 0 && exceed >= mc.earlyStopAfter) {
        earlyStopped = r < mc.replicates;
        break;
      }
    }
  }
  const used = maxima.subarray(0, r);
  let gumbel: GumbelFit | null = null;
  if (r >= mc.minReplicatesForGumbel) {
    gumbel = mc.gumbel === 'ml' ? fitGumbelMl(used) : fitGumbelMoments(used);
  }
  return { maxima: used, replications: r, exceedances: exceed, earlyStopped, budgetExhausted, gumbel };
}

export interface PValues {
  pValue: number;
  pValueMonteCarlo: number;
  pValueGumbel: number | null;
}

/**
 * p-values of a score s against the replicate maxima (primary and, conservatively,
 * secondary clusters):
 *  - Monte Carlo: (1 + #{max ≥ s}) / (R + 1), or #{max ≥ s} / R after a sequential
 *    early stop (then #{max ≥ s} ≥ the stop count);
 *  - Gumbel: upper tail of the fitted Gumbel (null without a fit);
 *  - reported pValue: the Gumbel p when the CPU budget cut replication short, or when
 *    no replicate reached s and the Gumbel p is smaller than the Monte Carlo floor
 *    1/(R + 1); otherwise the Monte Carlo p.
 */
export function pValuesFor(s: number, run: MonteCarloRun): PValues {
  const R = run.replications;
  if (R === 0) return { pValue: 1, pValueMonteCarlo: 1, pValueGumbel: null };
  let ge = 0;
  for (let i = 0; i < R; i++) if (run.maxima[i]! >= s) ge++;
  const pMc = run.earlyStopped && ge > 0 ? ge / R : (1 + ge) / (R + 1);
  const pG = run.gumbel ? gumbelPValue(run.gumbel, s) : null;
  let p = pMc;
  if (pG !== null) {
    if (run.budgetExhausted) p = pG;
    else if (ge === 0 && pG < pMc) p = pG;
  }
  return { pValue: Math.min(1, p), pValueMonteCarlo: Math.min(1, pMc), pValueGumbel: pG };
}
