/**
 * Gumbel approximation to the null distribution of the scan statistic (Abrams,
 * Kleinman & Kulldorff 2010, IJHG 9:61): fit a Gumbel (type I extreme value)
 * distribution to the Monte Carlo replicate maxima and read the p-value off its upper
 * tail, which resolves p-values below the Monte Carlo floor 1/(R + 1).
 * Fitting is by maximum likelihood (as scanstatistics' default via ismev::gum.fit),
 * with the method of moments available and used as the starting point.
 */

export interface GumbelFit {
  /** Location μ. */
  mu: number;
  /** Scale β > 0. */
  beta: number;
  method: 'ml' | 'moments';
  n: number;
}

const EULER_GAMMA = 0.5772156649015329;

function meanSd(x: ArrayLike<number>, n: number): { mean: number; sd: number } {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / (n - 1)) };
}

export function fitGumbelMoments(x: ArrayLike<number>, n: number = x.length): GumbelFit | null {
  if (n < 2) return null;
  const { mean, sd } = meanSd(x, n);
  if (!(sd > 0)) return null;
  const beta = (sd * Math.sqrt(6)) / Math.PI;
  return { mu: mean - EULER_GAMMA * beta, beta, method: 'moments', n };
}

/**
 * Maximum-likelihood fit. The profile equation
 *   g(β) = x̄ − Σ xᵢ e^(−xᵢ/β) / Σ e^(−xᵢ/β) − β = 0
 * has g > 0 as β → 0 and g < 0 as β → ∞; it is solved by bisection on a bracket grown
 * around the moments estimate, then μ = −β·log(mean(e^(−xᵢ/β))).
 */
export function fitGumbelMl(x: ArrayLike<number>, n: number = x.length): GumbelFit | null {
  const mom = fitGumbelMoments(x, n);
  if (!mom) return null;
  let xmin = Infinity;
  let xbar = 0;
  for (let i = 0; i < n; i++) {
    if (x[i]! < xmin) xmin = x[i]!;
    xbar += x[i]!;
  }
  xbar /= n;
  const g = (beta: number): number => {
    let sw = 0;
    let swx = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(-(x[i]! - xmin) / beta);
      sw += w;
      swx += w * x[i]!;
    }
    return xbar - swx / sw - beta;
  };
  let lo = mom.beta;
  let hi = mom.beta;
  let guard = 0;
  while (g(lo) < 0 && guard++ < 200) lo /= 2;
  guard = 0;
  while (g(hi) > 0 && guard++ < 200) hi *= 2;
  if (!(g(lo) >= 0 && g(hi) <= 0)) return mom;
  for (let it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
    const mid = 0.5 * (lo + hi);
    if (g(mid) > 0) lo = mid;
    else hi = mid;
  }
  const beta = 0.5 * (lo + hi);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(-(x[i]! - xmin) / beta);
  const mu = xmin - beta * Math.log(s / n);
  return { mu, beta, method: 'ml', n };
}

/** Upper-tail probability P(X ≥ s) under the fitted Gumbel. */
export function gumbelPValue(fit: GumbelFit, s: number): number {
  const z = (s - fit.mu) / fit.beta;
  return -Math.expm1(-Math.exp(-z));
}
