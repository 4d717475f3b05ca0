/**
 * What an attempt's outcome means for the outbox row (pure): delivered, retried later
 * (5xx, 429, 408, timeouts, connection failures) or failed for good (other 4xx, 3xx:
 * redirects are not followed, a receiver must answer at its own URL). Retries back off
 * exponentially with jitter, or wait what `Retry-After` asks; after MAX_ATTEMPTS or
 * MAX_AGE the row is dead.
 */
export const DELIVERY = {
  /** A send not answered by then counts as a timeout. */
  sendTimeoutMs: 10_000,
  /** A claim not confirmed by then is sent again (the worker died or hung). */
  leaseMs: 30_000,
  maxAttempts: 12,
  maxAgeMs: 24 * 60 * 60 * 1000,
  baseDelayMs: 1_000,
  maxDelayMs: 10 * 60 * 1000,
  /** The longest Retry-After honoured. */
  maxRetryAfterMs: 60 * 60 * 1000,
  /** Receiver answers and errors are stored up to this many characters. */
  maxStoredText: 1000,
} as const;

export type AttemptResult =
  /** `detail`: the kind's reading of a failed answer's body (Slack's `invalid_payload`). */
  | { kind: 'answer'; status: number; retryAfter: string | null; body: string; detail?: string }
  /** An email handed to SMTP: accepted, or refused for good (5xx, authentication) or for now. */
  | { kind: 'mail'; accepted: boolean; permanent: boolean; response: string }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  | { kind: 'refused'; message: string };

export type Verdict =
  | { outcome: 'delivered' }
  | { outcome: 'retry'; delayMs: number; error: string }
  | { outcome: 'failed'; error: string };

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Exponential backoff with equal jitter: half the step fixed, half random. */
export function backoffMs(attempt: number, random: number): number {
  const step = Math.min(DELIVERY.maxDelayMs, DELIVERY.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random);
}

export function truncate(text: string, max: number = DELIVERY.maxStoredText): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function judge(result: AttemptResult, attempt: number, nowMs: number, random: number): Verdict {
  if (result.kind === 'refused') return { outcome: 'failed', error: result.message };
  if (result.kind === 'timeout') return { outcome: 'retry', delayMs: backoffMs(attempt, random), error: `no answer within ${DELIVERY.sendTimeoutMs} ms` };
  if (result.kind === 'network') return { outcome: 'retry', delayMs: backoffMs(attempt, random), error: truncate(result.message) };
  if (result.kind === 'mail') {
    if (result.accepted) return { outcome: 'delivered' };
    const error = truncate(result.response);
    return result.permanent ? { outcome: 'failed', error } : { outcome: 'retry', delayMs: backoffMs(attempt, random), error };
  }
  const { status } = result;
  const error = result.detail ? truncate(`HTTP ${status}: ${result.detail}`) : `HTTP ${status}`;
  if (status >= 200 && status < 300) return { outcome: 'delivered' };
  if (status === 429 || status === 408 || status >= 500) {
    const asked = parseRetryAfter(result.retryAfter, nowMs);
    const delayMs = asked === null ? backoffMs(attempt, random) : Math.min(asked, DELIVERY.maxRetryAfterMs);
    return { outcome: 'retry', delayMs, error };
  }
  return { outcome: 'failed', error };
}

/** Whether a row that failed its `attempt`-th try, first queued at `createdMs`, is dead. */
export function exhausted(attempt: number, createdMs: number, retryAtMs: number): boolean {
  return attempt >= DELIVERY.maxAttempts || retryAtMs - createdMs > DELIVERY.maxAgeMs;
}
