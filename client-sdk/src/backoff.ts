/**
 * Reconnect delays: exponential with full jitter (a uniform draw between 0 and the
 * capped exponential step), bounded in size and in consecutive attempts. Randomness
 * is passed in so the delay is a pure function.
 */
export interface RetryOptions {
  /** Upper bound of the first delay. */
  initialDelayMs: number;
  /** Cap of every delay. */
  maxDelayMs: number;
  multiplier: number;
  /** Consecutive failed attempts (without reaching live) before giving up → `offline`. */
  maxAttempts: number;
}

/**
 * 0.5 s doubling to a 10 s cap (realtime-js's own socket steps stop at 10 s too), so a
 * returning network is noticed within 5 s on average; 30 attempts ≈ 2–5 minutes.
 */
export const RetryDefaults: Readonly<RetryOptions> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  multiplier: 2,
  maxAttempts: 30,
});

/** Delay before attempt `attempt` (0-based), `random` uniform in [0, 1). */
export function fullJitterDelay(attempt: number, random: number, opts: RetryOptions = RetryDefaults): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.multiplier ** Math.max(0, attempt));
  const r = Math.min(Math.max(random, 0), 1);
  return Math.floor(r * ceiling);
}
