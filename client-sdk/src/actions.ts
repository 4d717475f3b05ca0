/**
 * Typed calls to the Hotwatch edge functions. Failures are thrown as named errors
 * (errors.ts) built from the functions' `{error:{code,message,...}}` body.
 */
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js';
import type { AuthBridge } from './auth.ts';
import { FUNCTION_NAMES } from './constants.ts';
import { errorFromHttp, HotwatchError, SDK_ERROR_CODES } from './errors.ts';
import type { SupabaseLike } from './supabase-types.ts';

/** One event as `ingest-events` accepts it. */
export interface IngestEvent {
  source: string;
  external_id: string;
  category: string;
  /** ISO 8601 with a time zone. */
  occurred_at: string;
  lat: number;
  lng: number;
  weight?: number;
  attributes?: Record<string, unknown>;
}

export interface IngestResult {
  org_id: string;
  received: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  errors: Array<{ index: number; path: string; code: string; message: string }>;
  errors_truncated: boolean;
}

export interface IngestOptions {
  /** Refuse the whole batch when any event is invalid (default: store the valid ones). */
  atomic?: boolean;
}

/** The functions' answers, passed through as JSON objects. */
export type FunctionResult = Record<string, unknown>;

/**
 * `decisions` answer: the audit row and the row(s) it changed, as the function returns
 * them (bigint ids as text). The same change reaches subscribers as a typed stream row.
 */
export interface DecisionResult extends FunctionResult {
  decision: Record<string, unknown>;
  recommendation?: Record<string, unknown>;
  alert?: Record<string, unknown>;
  superseded_recommendations?: unknown[];
}

/** `hotspot-scan` answer (docs/functions.md): counts per stream, timings, status. */
export interface ScanResult extends FunctionResult {
  scan_id: number | string;
  org_id: string;
  status: 'succeeded' | 'skipped' | 'failed' | (string & {});
}

export async function invokeFunction<T>(client: SupabaseLike, auth: AuthBridge, name: string, body: Record<string, unknown>): Promise<T> {
  const token = auth.restToken();
  const { data, error } = await client.functions.invoke(name, {
    body,
    method: 'POST',
    ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}),
  });
  if (!error) return data as T;
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    let parsed: unknown;
    try {
      const text = await res.text();
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    } catch {
      parsed = undefined;
    }
    throw errorFromHttp(res.status, parsed, res.headers, error);
  }
  if (error instanceof FunctionsFetchError) {
    throw new HotwatchError(`Could not reach the ${name} function.`, { code: SDK_ERROR_CODES.network, cause: error });
  }
  if (error instanceof FunctionsRelayError) {
    throw new HotwatchError(`The functions gateway could not run ${name}.`, { code: SDK_ERROR_CODES.http, cause: error });
  }
  throw new HotwatchError(`Calling ${name} failed.`, { code: SDK_ERROR_CODES.http, cause: error });
}

/** Request bodies, in one place so a change in the functions' contract is one edit. */
export const requests = {
  approve: (recommendationId: number, reason?: string) =>
    [FUNCTION_NAMES.decisions, { action: 'approve', recommendation_id: recommendationId, ...(reason !== undefined ? { reason } : {}) }] as const,
  reject: (recommendationId: number, reason: string) =>
    [FUNCTION_NAMES.decisions, { action: 'reject', recommendation_id: recommendationId, reason }] as const,
  acknowledge: (alertId: number) =>
    [FUNCTION_NAMES.decisions, { action: 'acknowledge', alert_id: alertId }] as const,
  resolve: (alertId: number, reason?: string) =>
    [FUNCTION_NAMES.decisions, { action: 'resolve', alert_id: alertId, ...(reason !== undefined ? { reason } : {}) }] as const,
  scan: (orgId: string) => [FUNCTION_NAMES.scan, { org_id: orgId }] as const,
  ingest: (orgId: string, events: readonly IngestEvent[], opts: IngestOptions = {}) =>
    [FUNCTION_NAMES.ingest, { org_id: orgId, events, ...(opts.atomic !== undefined ? { atomic: opts.atomic } : {}) }] as const,
};
