/**
 * HTTP plumbing shared by the edge functions: CORS, JSON responses, the error-code
 * registry and a bounded JSON body reader. Web APIs only (Deno and Node alike).
 *
 * Every error answers `{ "error": { "code", "message", ...details } }` with the status
 * the registry assigns to its code, so clients branch on `code`, never on text.
 */
import type { FieldError } from './contract.ts';

/** Same values as `corsHeaders` from `@supabase/supabase-js/cors` (2.109.0), kept
 *  local so a function does not pull the whole client package for three strings;
 *  tests/unit/functions/http.test.ts fails if they drift. */
export const corsHeaders: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'authorization, x-client-info, apikey, content-type, x-retry-count',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
});

/** The stable error codes of all the functions and their HTTP status. */
export const ERROR_CODES = {
  invalid_json: 400,
  validation_failed: 400,
  auth_required: 401,
  invalid_key: 401,
  forbidden: 403,
  org_not_found: 404,
  recommendation_not_found: 404,
  alert_not_found: 404,
  channel_not_found: 404,
  notification_not_found: 404,
  member_not_found: 404,
  invitation_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  demo_not_allowed: 422,
  rate_limited: 429,
  misconfigured: 500,
  internal_error: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A field-level validation problem (defined in the contract the SDK shares). */
export type { FieldError } from './contract.ts';

/** Thrown by helpers and handlers; `toResponse` turns it into the JSON error body. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Extra response headers, e.g. Retry-After on a 429. */
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, 'Content-Type': 'application/json', ...headers },
  });
}

export function errorResponse(code: ErrorCode, message: string, details?: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return jsonResponse({ error: { code, message, ...details } }, ERROR_CODES[code], headers);
}

/** Answer CORS preflights; null for every other method. */
export function preflight(req: Request): Response | null {
  return req.method === 'OPTIONS' ? new Response('ok', { headers: corsHeaders }) : null;
}

export type Handler = (req: Request) => Promise<Response>;

/** Hook for logging unexpected failures (index.ts passes console.error). */
export type ErrorReporter = (err: unknown, req: Request) => void;

/**
 * Wrap a handler: preflight, then HttpError → its JSON body, anything else → a generic
 * 500 (details stay in the log, never in the response).
 */
export function withErrors(handler: Handler, report: ErrorReporter = () => {}): Handler {
  return async (req) => {
    const pre = preflight(req);
    if (pre) return pre;
    try {
      return await handler(req);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.code, err.message, err.details, err.headers);
      report(err, req);
      return errorResponse('internal_error', 'The request could not be processed.');
    }
  };
}

export function requireMethod(req: Request, ...methods: string[]): void {
  if (!methods.includes(req.method)) {
    throw new HttpError('method_not_allowed', `Use ${methods.join(' or ')}.`, { allowed: methods });
  }
}

/**
 * Read and parse a JSON body of at most `maxBytes`, streaming so an oversized body is
 * refused without buffering it (Content-Length is checked first when present).
 */
export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HttpError('unsupported_media_type', 'Send the body as application/json.');
  }
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError('payload_too_large', `The body exceeds ${maxBytes} bytes.`, { limit_bytes: maxBytes });
  }
  if (!req.body) throw new HttpError('invalid_json', 'The request body is empty; send a JSON object.');
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new HttpError('payload_too_large', `The body exceeds ${maxBytes} bytes.`, { limit_bytes: maxBytes });
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') throw new HttpError('invalid_json', 'The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('invalid_json', 'The request body is not valid JSON.');
  }
}

/** 400 validation_failed with per-field errors. */
export function validationError(errors: FieldError[], message = 'The request is invalid.'): HttpError {
  return new HttpError('validation_failed', message, { errors });
}
