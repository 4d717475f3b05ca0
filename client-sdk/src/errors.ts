/**
 * Named errors. Every failure the SDK reports is a HotwatchError with a stable `code`;
 * HTTP failures of the helpers map to one subclass per status family so callers can
 * branch with `instanceof`. Transport reasons are kept in `cause`.
 */
import type { FieldError } from './contract.ts';

/** Stable codes for failures that do not come from a function's error body. */
export const SDK_ERROR_CODES = {
  channelError: 'channel_error',
  channelTimeout: 'channel_timeout',
  channelClosed: 'channel_closed',
  subscribeFailed: 'subscribe_failed',
  readyTimeout: 'ready_timeout',
  resumeFailed: 'resume_failed',
  invalidResponse: 'invalid_response',
  retriesExhausted: 'retries_exhausted',
  network: 'network_error',
  http: 'http_error',
} as const;

/** A field-level validation problem as the functions report it (`events[3].lat`). */
export type { FieldError } from './contract.ts';

export interface HotwatchErrorInit {
  code: string;
  status?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class HotwatchError extends Error {
  readonly code: string;
  /** HTTP status when the failure came from an HTTP answer. */
  readonly status: number | undefined;
  /** Extra fields of the server's error body. */
  readonly details: Record<string, unknown>;
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'HotwatchError';
    this.code = init.code;
    this.status = init.status;
    this.details = init.details ?? {};
  }
}

/** 401: no valid access token (signed out, expired). */
export class UnauthorizedError extends HotwatchError {
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init);
    this.name = 'UnauthorizedError';
  }
}

/** 403: signed in, but your role in the org does not allow this. */
export class ForbiddenError extends HotwatchError {
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init);
    this.name = 'ForbiddenError';
  }
}

/** 404: the org, alert or recommendation does not exist (or is not visible to you). */
export class NotFoundError extends HotwatchError {
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init);
    this.name = 'NotFoundError';
  }
}

/** 409: the target moved on (e.g. already decided); `current` is its state now. */
export class ConflictError extends HotwatchError {
  readonly current: unknown;
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init);
    this.name = 'ConflictError';
    const d = this.details;
    this.current = d['current'] ?? d['recommendation'] ?? d['alert'] ?? (Object.keys(d).length ? d : undefined);
  }
}

/** 400/422: the request was invalid; `fieldErrors` says where. */
export class ValidationError extends HotwatchError {
  readonly fieldErrors: readonly FieldError[];
  constructor(message: string, init: HotwatchErrorInit) {
    super(message, init);
    this.name = 'ValidationError';
    this.fieldErrors = parseFieldErrors(this.details['errors'] ?? this.details['fieldErrors']);
  }
}

/** 429: slow down; `retryAfterMs` when the server said so. */
export class RateLimitedError extends HotwatchError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, init: HotwatchErrorInit & { retryAfterMs?: number }) {
    super(message, init);
    this.name = 'RateLimitedError';
    this.retryAfterMs = init.retryAfterMs;
  }
}

function parseFieldErrors(v: unknown): FieldError[] {
  if (!Array.isArray(v)) return [];
  const out: FieldError[] = [];
  for (const e of v) {
    if (e && typeof e === 'object') {
      const r = e as Record<string, unknown>;
      out.push({ path: String(r['path'] ?? ''), code: String(r['code'] ?? 'invalid'), message: String(r['message'] ?? '') });
    }
  }
  return out;
}

/** Turn an HTTP status and a parsed error body into the matching named error. */
export function errorFromHttp(status: number, body: unknown, headers?: { get(name: string): string | null }, cause?: unknown): HotwatchError {
  let code: string = SDK_ERROR_CODES.http;
  let message = `Request failed with status ${status}.`;
  let details: Record<string, unknown> = {};
  // Functions answer {error:{code,message,...}}; PostgREST {code,message,details,hint}; Auth {msg} / {message}.
  const outer = body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  const inner = outer && outer['error'] && typeof outer['error'] === 'object' ? (outer['error'] as Record<string, unknown>) : outer;
  if (inner) {
    const { code: c, message: m, msg, ...rest } = inner;
    if (typeof c === 'string' && c) code = c;
    if (typeof m === 'string' && m) message = m;
    else if (typeof msg === 'string' && msg) message = msg;
    details = rest;
  } else if (typeof body === 'string' && body.trim()) {
    message = body.trim().slice(0, 500);
  }
  const init = { code, status, details, cause };
  if (status === 401) return new UnauthorizedError(message, init);
  if (status === 403) return new ForbiddenError(message, init);
  if (status === 404) return new NotFoundError(message, init);
  if (status === 409) return new ConflictError(message, init);
  if (status === 400 || status === 422) return new ValidationError(message, init);
  if (status === 429) {
    const ra = Number(headers?.get('retry-after'));
    return new RateLimitedError(message, { ...init, ...(Number.isFinite(ra) && ra >= 0 ? { retryAfterMs: ra * 1000 } : {}) });
  }
  return new HotwatchError(message, init);
}

/** Any thrown value → Error (keeps the original as `cause` when it was not one). */
export function toError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : JSON.stringify(reason) ?? String(reason), { cause: reason });
}
