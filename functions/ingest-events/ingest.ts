/**
 * The ingest pipeline every ingest entry point shares (ingest-events, ingest-feed): read
 * and validate the body, refuse demo events for a non-demo org, validate each event,
 * flag events outside the org's area, insert, answer. What differs per entry point is
 * who is calling — which org they may write to and how the rows are inserted — given
 * as an IngestTarget, so both functions take the same body and give the same answers
 * and limits by construction.
 */
import type { Sql } from 'postgres';
import type { IngestResult } from '../_shared/contract.ts';
import { hasDemoEvents } from '../_shared/demo.ts';
import { HttpError, jsonResponse, readJsonBody, validationError, type ErrorReporter } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { flagOutsideArea, prepareBatch, type EventColumns } from './rules/batch.ts';
import { DEFAULT_INGEST_LIMITS, envelopeSchema, type IngestLimits } from './schema.ts';
import { areaReader } from './store/area.ts';
import { orgIsDemo } from './store/events.ts';

export interface IngestDeps {
  sql: Sql;
  /** Clock in epoch ms (tests pin it). */
  now?: () => number;
  limits?: Partial<IngestLimits>;
  report?: ErrorReporter;
}

/** The caller-specific part of an ingest. */
export interface IngestTarget {
  /** The org the batch goes to, from the body's `org_id` (if any); throws the 4xx when the caller may not. */
  org(orgIdFromBody: string | undefined): string;
  /** Insert the valid rows into the org; how many were new. */
  insert(orgId: string, columns: EventColumns): Promise<number>;
}

export type Ingest = (req: Request, target: IngestTarget) => Promise<Response>;

export function createIngest(deps: IngestDeps): Ingest {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const { sql } = deps;
  const readArea = areaReader(sql);

  return async (req, target) => {
    const body = await readJsonBody(req, limits.maxBodyBytes);
    const env = envelopeSchema.safeParse(body);
    if (!env.success) throw validationError(fieldErrors(env.error));
    const { events, atomic } = env.data;
    if (events.length > limits.maxEvents) {
      throw new HttpError('payload_too_large', `At most ${limits.maxEvents} events per request; split the batch.`,
        { limit_events: limits.maxEvents, received: events.length });
    }
    const orgId = target.org(env.data.org_id);
    // The demo generator's events belong in a demo org only (one lookup, only for such batches).
    if (hasDemoEvents(events) && await orgIsDemo(sql, orgId) === false) {
      throw new HttpError('demo_not_allowed', 'Demo events (source "hotwatch-demo") are accepted only by demo organisations; nothing was stored.', { org_id: orgId });
    }

    const batch = prepareBatch(events, now(), limits);
    if (atomic && batch.rejected > 0) {
      throw new HttpError('validation_failed', `${batch.rejected} of ${events.length} events are invalid; nothing was stored.`,
        { errors: batch.errors, errors_truncated: batch.errorsTruncated, rejected: batch.rejected });
    }

    // Events outside the org's area are stored and flagged, not refused.
    const outsideArea = flagOutsideArea(batch.columns, batch.columns.source.length ? await readArea(orgId) : null);
    const accepted = await target.insert(orgId, batch.columns);

    const valid = batch.columns.source.length;
    const result: IngestResult = {
      org_id: orgId,
      received: events.length,
      accepted,
      duplicate: valid - accepted,
      rejected: batch.rejected,
      outside_area: outsideArea,
      errors: batch.errors,
      errors_truncated: batch.errorsTruncated,
    };
    return jsonResponse(result);
  };
}
