/**
 * Typed calls to the Hotwatch edge functions. Failures are thrown as named errors
 * (errors.ts) built from the functions' `{error:{code,message,...}}` body.
 */
import { FunctionsFetchError, FunctionsHttpError, FunctionsRelayError } from '@supabase/supabase-js';
import type { AuthBridge } from './auth.ts';
import { FUNCTION_NAMES } from './constants.ts';
import { errorFromHttp, HotwatchError, SDK_ERROR_CODES } from './errors.ts';
import type { IngestEvent, PlaybookRequest } from './contract.ts';
import type { SupabaseLike } from './supabase-types.ts';

export interface IngestOptions {
  /** Refuse the whole batch when any event is invalid (default: store the valid ones). */
  atomic?: boolean;
}

/** The functions' answers, passed through as JSON objects. */
export type FunctionResult = Record<string, unknown>;

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
  playbook: (req: PlaybookRequest) => [FUNCTION_NAMES.playbooks, { ...req }] as const,
};
