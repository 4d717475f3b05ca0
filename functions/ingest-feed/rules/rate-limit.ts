/**
 * The per-key rate limit as GCRA (the generic cell rate algorithm, a token bucket kept
 * as one timestamp): a key allowed R requests a minute has an emission interval
 * T = 60 s / R and a burst tolerance τ = T·(R − 1), so a full bucket admits R requests
 * at once and then one every T. A request at t is admitted while tat − t ≤ τ, and
 * moves tat to max(tat, t) + T; a refused one may retry after tat − t − τ.
 */
export interface Gcra {
  intervalMs: number;
  toleranceMs: number;
}

export function gcraFor(perMinute: number): Gcra {
  const intervalMs = 60_000 / perMinute;
  return { intervalMs, toleranceMs: intervalMs * (perMinute - 1) };
}

/** Retry-After in whole seconds (at least 1) from the bucket's wait in ms. */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}
