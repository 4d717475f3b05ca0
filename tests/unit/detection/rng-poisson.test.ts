import { describe, expect, it } from 'vitest';
import { createRng, logFactorial, poisson, poissonInversion, poissonPtrs } from '../../../functions/_shared/detection/index.ts';

describe('rng (xoshiro128**)', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    const xb = Array.from({ length: 8 }, () => b.nextU32());
    const xc = Array.from({ length: 8 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    expect(createRng('org-1/cat-2').next()).toBe(createRng('org-1/cat-2').next());
  });

  it('gives uniforms in (0,1) with the right mean and a flat histogram', () => {
    const rng = createRng(7);
    const n = 200_000;
    const bins = new Array<number>(20).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u > 0 && u < 1)) throw new Error(`uniform out of range: ${u}`);
      sum += u;
      bins[Math.floor(u * 20)]!++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.003);
    let chi2 = 0;
    for (const o of bins) chi2 += (o - n / 20) ** 2 / (n / 20);
    expect(chi2).toBeLessThan(45); // df = 19, P(χ² > 45) ≈ 0.0007
  });
});

describe('poisson sampling', () => {
  const pmf = (lambda: number, k: number): number => Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k));

  it('logFactorial matches direct sums across the table/Stirling boundary', () => {
    let s = 0;
    for (let k = 2; k <= 400; k++) {
      s += Math.log(k);
      expect(Math.abs(logFactorial(k) - s) / s).toBeLessThan(1e-12);
    }
  });

  for (const lambda of [0.02, 0.7, 3, 9.5, 10, 25, 400]) {
    it(`matches the Poisson(${lambda}) distribution (mean, variance, pmf)`, () => {
      const rng = createRng(1000 + Math.round(lambda * 10));
      const n = 200_000;
      const freq = new Map<number, number>();
      let sum = 0;
      let sum2 = 0;
      for (let i = 0; i < n; i++) {
        const x = poisson(rng, lambda);
        if (!(Number.isInteger(x) && x >= 0)) throw new Error(`bad draw ${x}`);
        sum += x;
        sum2 += x * x;
        freq.set(x, (freq.get(x) ?? 0) + 1);
      }
      const mean = sum / n;
      const variance = sum2 / n - mean * mean;
      expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
      expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.03);
      for (let k = 0; k < lambda * 3 + 10; k++) {
        const p = pmf(lambda, k);
        if (p < 1e-3) continue;
        const f = (freq.get(k) ?? 0) / n;
        expect(Math.abs(f - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      }
    });
  }

  it('inversion and PTRS agree in distribution at the switch-over mean', () => {
    const lambda = 10;
    const n = 100_000;
    const r1 = createRng(5);
    const r2 = createRng(6);
    let m1 = 0;
    let m2 = 0;
    let v1 = 0;
    let v2 = 0;
    for (let i = 0; i < n; i++) {
      const a = poissonInversion(r1, lambda, Math.exp(-lambda));
      const b = poissonPtrs(r2, lambda);
      m1 += a;
      m2 += b;
      v1 += a * a;
      v2 += b * b;
    }
    m1 /= n;
    m2 /= n;
    expect(Math.abs(m1 - m2)).toBeLessThan(0.06);
    expect(Math.abs(v1 / n - m1 * m1 - (v2 / n - m2 * m2))).toBeLessThan(0.4);
  });

  it('returns 0 for non-positive means', () => {
    const rng = createRng(1);
    expect(poisson(rng, 0)).toBe(0);
    expect(poisson(rng, -1)).toBe(0);
  });
});
