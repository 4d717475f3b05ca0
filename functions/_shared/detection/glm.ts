/**
 * Poisson regression with log link, fitted by iteratively reweighted least squares
 * (IRLS, i.e. Fisher scoring), as R's glm(family = poisson) does:
 *   start μ = y + 0.1, η = log μ;
 *   repeat: z = η − offset + (y − μ)/μ, w = μ, β = (XᵀWX)⁻¹ XᵀWz, η = Xβ + offset
 *   until |dev − dev_old| / (|dev| + 0.1) < tol.
 * Dense design (n × p) with small p; the normal equations are solved by Cholesky.
 */

export interface PoissonGlmInput {
  /** Design matrix, one row per observation (include a column of 1s for an intercept). */
  x: ReadonlyArray<ReadonlyArray<number>>;
  /** Counts. */
  y: ReadonlyArray<number>;
  /** Offset on the log scale (e.g. log population); default 0. */
  offset?: ReadonlyArray<number>;
  /** Relative deviance convergence tolerance (default 1e-12; R uses 1e-8). */
  tol?: number;
  /** Maximum IRLS iterations (default 100). */
  maxIter?: number;
}

export interface PoissonGlmFit {
  coefficients: number[];
  /** Fitted means μ = exp(Xβ + offset). */
  fitted: number[];
  deviance: number;
  iterations: number;
  converged: boolean;
}

/** Solve the symmetric positive-definite system A x = b in place (A is p × p, row-major). */
export function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('matrix is not positive definite (collinear design?)');
        l[i * p + i] = Math.sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j]!;
      }
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

function poissonDeviance(y: ReadonlyArray<number>, mu: Float64Array): number {
  let d = 0;
  for (let i = 0; i < mu.length; i++) {
    const yi = y[i]!;
    const m = mu[i]!;
    d += yi > 0 ? yi * Math.log(yi / m) - (yi - m) : m;
  }
  return 2 * d;
}

export function fitPoissonGlm(input: PoissonGlmInput): PoissonGlmFit {
  const { x, y } = input;
  const n = y.length;
  if (x.length !== n) throw new RangeError('x and y must have the same number of rows');
  if (n === 0) throw new RangeError('no observations');
  const p = x[0]!.length;
  const offset = input.offset;
  const tol = input.tol ?? 1e-12;
  const maxIter = input.maxIter ?? 100;
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    if (!(yi >= 0) || !Number.isFinite(yi)) throw new RangeError(`y[${i}] must be a finite count ≥ 0`);
    if (x[i]!.length !== p) throw new RangeError(`x[${i}] has ${x[i]!.length} columns, expected ${p}`);
  }
  const mu = new Float64Array(n);
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    mu[i] = y[i]! + 0.1;
    eta[i] = Math.log(mu[i]!);
  }
  let dev = poissonDeviance(y, mu);
  let beta: Float64Array = new Float64Array(p);
  let converged = false;
  let iter = 0;
  const xtwx = new Float64Array(p * p);
  const xtwz = new Float64Array(p);
  while (iter < maxIter) {
    iter++;
    xtwx.fill(0);
    xtwz.fill(0);
    for (let i = 0; i < n; i++) {
      const row = x[i]!;
      const w = mu[i]!;
      const z = eta[i]! - (offset?.[i] ?? 0) + (y[i]! - mu[i]!) / mu[i]!;
      for (let a = 0; a < p; a++) {
        const wa = w * row[a]!;
        xtwz[a] = xtwz[a]! + wa * z;
        for (let b = 0; b <= a; b++) xtwx[a * p + b] = xtwx[a * p + b]! + wa * row[b]!;
      }
    }
    for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) xtwx[a * p + b] = xtwx[b * p + a]!;
    beta = choleskySolve(xtwx, xtwz, p);
    for (let i = 0; i < n; i++) {
      const row = x[i]!;
      let e = offset?.[i] ?? 0;
      for (let a = 0; a < p; a++) e += row[a]! * beta[a]!;
      eta[i] = e;
      mu[i] = Math.exp(e);
    }
    const devNew = poissonDeviance(y, mu);
    const change = Math.abs(devNew - dev) / (Math.abs(devNew) + 0.1);
    dev = devNew;
    if (change < tol) {
      converged = true;
      break;
    }
  }
  return { coefficients: Array.from(beta), fitted: Array.from(mu), deviance: dev, iterations: iter, converged };
}

/** Predicted means exp(xβ + offset) for new rows. */
export function predictPoissonGlm(
  coefficients: ReadonlyArray<number>,
  x: ReadonlyArray<ReadonlyArray<number>>,
  offset?: ReadonlyArray<number>,
): number[] {
  return x.map((row, i) => {
    let e = offset?.[i] ?? 0;
    for (let a = 0; a < coefficients.length; a++) e += (row[a] ?? 0) * coefficients[a]!;
    return Math.exp(e);
  });
}
