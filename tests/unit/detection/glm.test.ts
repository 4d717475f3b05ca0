import { describe, expect, it } from 'vitest';
import { createRng, fitPoissonGlm, poisson, predictPoissonGlm } from '../../../functions/_shared/detection/index.ts';
import { loadNm } from './nm-data.ts';

describe('Poisson GLM by IRLS', () => {
  it('recovers known coefficients with an offset', () => {
    const rng = createRng(11);
    const x: number[][] = [];
    const y: number[] = [];
    const offset: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = (i % 50) / 10;
      const z = i % 2;
      const exposure = 50 + (i % 7) * 20;
      x.push([1, t, z]);
      offset.push(Math.log(exposure));
      y.push(poisson(rng, exposure * Math.exp(-3 + 0.2 * t - 0.5 * z)));
    }
    const fit = fitPoissonGlm({ x, y, offset });
    expect(fit.converged).toBe(true);
    expect(fit.coefficients[0]!).toBeCloseTo(-3, 1);
    expect(fit.coefficients[1]!).toBeCloseTo(0.2, 1);
    expect(fit.coefficients[2]!).toBeCloseTo(-0.5, 1);
    // Score equations hold at the MLE: Xᵀ(y − μ) = 0.
    for (let a = 0; a < 3; a++) {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += x[i]![a]! * (y[i]! - fit.fitted[i]!);
      expect(Math.abs(s)).toBeLessThan(1e-6 * y.length);
    }
    expect(predictPoissonGlm(fit.coefficients, [[1, 0, 0]], [0])[0]).toBeCloseTo(Math.exp(fit.coefficients[0]!), 12);
  });

  it('fits the New Mexico baseline model and gives 20.659 expected for {losalamos, santafe} 1986–89', () => {
    const nm = loadNm();
    expect(nm.glmConverged).toBe(true);
    const la = nm.counties.indexOf('losalamos');
    const sf = nm.counties.indexOf('santafe');
    let b = 0;
    let c = 0;
    for (let t = 0; t < 4; t++) {
      b += nm.baselines[t]![la]! + nm.baselines[t]![sf]!;
      c += nm.counts[t]![la]! + nm.counts[t]![sf]!;
    }
    expect(c).toBe(43);
    expect(Math.abs(b - 20.659)).toBeLessThan(0.001);
  });
});
