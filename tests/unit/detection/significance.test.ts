import { describe, expect, it } from 'vitest';
import {
  analysesSince,
  createRng,
  DEFAULT_SEVERITY_THRESHOLDS,
  fitGumbelMl,
  fitGumbelMoments,
  gumbelPValue,
  pValuesFor,
  recurrenceIntervalDays,
  resolveMonteCarlo,
  runMonteCarlo,
  severityFromRecurrence,
} from '../../../functions/_shared/detection/index.ts';

function gumbelSample(n: number, mu: number, beta: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => mu - beta * Math.log(-Math.log(rng.next())));
}

describe('Gumbel approximation', () => {
  it('recovers location and scale by maximum likelihood and by moments', () => {
    const x = gumbelSample(20_000, 7.5, 1.3, 1);
    const ml = fitGumbelMl(x)!;
    const mom = fitGumbelMoments(x)!;
    expect(ml.mu).toBeCloseTo(7.5, 1);
    expect(ml.beta).toBeCloseTo(1.3, 1);
    expect(mom.mu).toBeCloseTo(7.5, 1);
    expect(mom.beta).toBeCloseTo(1.3, 1);
    // ML score equation holds: β = x̄ − Σx e^(−x/β) / Σ e^(−x/β).
    let sw = 0;
    let swx = 0;
    let mean = 0;
    for (const v of x) {
      const w = Math.exp(-v / ml.beta);
      sw += w;
      swx += w * v;
      mean += v / x.length;
    }
    expect(mean - swx / sw).toBeCloseTo(ml.beta, 8);
  });

  it('gives the upper tail 1 − exp(−exp(−(s − μ)/β))', () => {
    const fit = { mu: 2, beta: 0.5, method: 'ml' as const, n: 100 };
    expect(gumbelPValue(fit, 2)).toBeCloseTo(1 - Math.exp(-1), 12);
    // Far tail: ≈ e^(−20), computed without cancellation (expm1).
    expect(Math.abs(gumbelPValue(fit, 12) / Math.exp(-20) - 1)).toBeLessThan(1e-8);
  });

  it('returns null for degenerate replicate sets', () => {
    expect(fitGumbelMl(Float64Array.from([0, 0, 0, 0]))).toBeNull();
    expect(fitGumbelMl(Float64Array.from([1]))).toBeNull();
  });
});

describe('Monte Carlo p-values', () => {
  const mc = (o: Parameters<typeof resolveMonteCarlo>[0]) => resolveMonteCarlo(o);

  it('counts ties as exceedances: p = (1 + #{max ≥ s}) / (R + 1)', () => {
    let i = 0;
    const run = runMonteCarlo(5, () => [1, 5, 7, 2][i++ % 4]!, mc({ replicates: 99, earlyStopAfter: 0 }), 0);
    expect(run.replications).toBe(99);
    const exceed = Array.from(run.maxima).filter((m) => m >= 5).length;
    expect(run.exceedances).toBe(exceed);
    expect(pValuesFor(5, run).pValueMonteCarlo).toBeCloseTo((1 + exceed) / 100, 12);
  });

  it('stops after 50 replicates reach the observed statistic and reports h/r', () => {
    const rng = createRng(2);
    const run = runMonteCarlo(1, () => rng.next() * 2, mc({ replicates: 999 }), 0);
    expect(run.earlyStopped).toBe(true);
    expect(run.exceedances).toBe(50);
    expect(run.replications).toBeLessThan(999);
    expect(pValuesFor(1, run).pValueMonteCarlo).toBeCloseTo(50 / run.replications, 12);
  });

  it('stops at the CPU budget (injected clock) and lets the Gumbel fit carry the p-value', () => {
    let t = 0;
    const clock = (): number => (t += 1);
    const rng = createRng(3);
    const run = runMonteCarlo(30, () => 5 - Math.log(-Math.log(rng.next())), mc({ replicates: 999, budgetMs: 100, clock }), 0);
    expect(run.budgetExhausted).toBe(true);
    // The budget is checked once 20 replicates (minReplicates) have run.
    expect(run.replications).toBeGreaterThanOrEqual(20);
    expect(run.replications).toBeLessThan(130);
    const pv = pValuesFor(30, run);
    expect(pv.pValueGumbel).not.toBeNull();
    expect(pv.pValue).toBe(pv.pValueGumbel);
    expect(pv.pValue).toBeLessThan(1 / (run.replications + 1));
  });

  it('runs minReplicates even when the budget is already spent', () => {
    const rng = createRng(5);
    const run = runMonteCarlo(30, () => rng.next(), mc({ replicates: 999, budgetMs: 1, clock: () => 1e9, minReplicates: 25 }), 0);
    expect(run.replications).toBe(25);
    expect(run.budgetExhausted).toBe(true);
    expect(run.gumbel).not.toBeNull();
  });

  it('uses the Gumbel p below the Monte Carlo floor only', () => {
    const rng = createRng(4);
    const run = runMonteCarlo(20, () => 5 - Math.log(-Math.log(rng.next())), mc({ replicates: 999 }), 0);
    const far = pValuesFor(20, run);
    expect(far.pValueMonteCarlo).toBeCloseTo(1 / 1000, 12);
    expect(far.pValue).toBe(far.pValueGumbel);
    const near = pValuesFor(6, run);
    expect(near.pValue).toBe(near.pValueMonteCarlo);
  });
});

describe('recurrence interval and severity', () => {
  const HOUR = 3_600_000;

  it('RI = D/p with D the bucket length in days', () => {
    expect(recurrenceIntervalDays(0.001, HOUR)).toBeCloseTo(1 / 24 / 0.001, 9);
    expect(recurrenceIntervalDays(0.05, 86_400_000)).toBeCloseTo(20, 9);
    expect(recurrenceIntervalDays(0, HOUR)).toBe(Infinity);
  });

  it('adjusts for A − 1 earlier analyses: RI = D / [1 − (1 − p)^(1/A)]', () => {
    const p = 0.02;
    expect(recurrenceIntervalDays(p, HOUR, { analyses: 1 })).toBeCloseTo(1 / 24 / p, 9);
    expect(recurrenceIntervalDays(p, HOUR, { analyses: 24 })).toBeCloseTo(1 / 24 / (1 - (1 - p) ** (1 / 24)), 9);
    // Tiny p without cancellation.
    expect(recurrenceIntervalDays(1e-12, HOUR, { analyses: 10 })).toBeCloseTo((1 / 24) * 10 / 1e-12, -6);
  });

  it('counts analyses in buckets: repeated scans inside one bucket are one analysis', () => {
    const start = Date.UTC(2024, 0, 1);
    expect(analysesSince(start, start + HOUR, HOUR)).toBe(1);
    expect(analysesSince(start, start + 24 * HOUR, HOUR)).toBe(24);
    // Scans at :05, :20, :55 of the same (current, incomplete) bucket.
    const a = [5, 20, 55].map((m) => analysesSince(start, start + 24 * HOUR + m * 60_000, HOUR));
    expect(new Set(a).size).toBe(1);
    expect(a[0]).toBe(25);
  });

  it('maps RI to tiers with documented, configurable thresholds', () => {
    expect(DEFAULT_SEVERITY_THRESHOLDS).toEqual({ low: 7, medium: 30, high: 100, critical: 365 });
    expect(severityFromRecurrence(1)).toBe('none');
    expect(severityFromRecurrence(7)).toBe('low');
    expect(severityFromRecurrence(41.7)).toBe('medium');
    expect(severityFromRecurrence(100)).toBe('high');
    expect(severityFromRecurrence(365)).toBe('critical');
    expect(severityFromRecurrence(50, { low: 1, medium: 10, high: 50, critical: 500 })).toBe('high');
    expect(() => severityFromRecurrence(5, { low: 10, medium: 5, high: 50, critical: 500 })).toThrow(RangeError);
  });
});
