/**
 * The ingest pipeline every ingest entry point shares (ingest-events, ingest-feed): read
 * and validate the body, refuse demo events for a non-demo org, validate each event,
 * flag events outside the org's area, insert, answer. What differs per entry point is
 * who is calling — which org they may write to and how the rows are inserted — given
 * as an IngestTarget, so both functions take the same body and give the same answers
 * and limits by construction.
 *
 * The events are validated in slices that the target pulls as it writes: a streaming
 * target (COPY) sends slice k to the database while slice k + 1 is checked. An `atomic`
 * batch is checked whole before the target sees a row.
 */
import type { Sql } from 'postgres';
import type { IngestResult } from '../_shared/contract.ts';
import { hasDemoEvents } from '../_shared/demo.ts';
import { HttpError, jsonResponse, readJsonBody, validationError, type ErrorReporter } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { batchValidator, flagOutsideArea, type EventColumns } from './rules/batch.ts';
import { DEFAULT_INGEST_LIMITS, envelopeSchema, type IngestLimits } from './schema.ts';
import { areaReader } from './store/area.ts';
import { orgIsDemo } from './store/events.ts';

/**
 * Events validated per slice: large enough that a COPY chunk is worth a write, small
 * enough that the database starts inserting after the first few milliseconds.
 */
const SLICE_EVENTS = 1000;

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
  /** Insert the valid rows, pulled slice by slice (every slice, in order); how many were new. */
  insert(orgId: string, slices: AsyncIterable<EventColumns>): Promise<number>;
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

    const validator = batchValidator(now(), limits);
    const checkedWhole = atomic ? validator.slice(events, 0, events.length) : null;
    if (checkedWhole) {
      const { rejected, errors, errorsTruncated } = validator.report();
      if (rejected > 0) {
        throw new HttpError('validation_failed', `${rejected} of ${events.length} events are invalid; nothing was stored.`,
          { errors, errors_truncated: errorsTruncated, rejected });
      }
    }

    // Events outside the org's area are stored and flagged, not refused.
    const area = await readArea(orgId);
    let valid = 0;
    let outsideArea = 0;
    let drained = false;
    const flagged = (columns: EventColumns): EventColumns => {
      outsideArea += flagOutsideArea(columns, area);
      valid += columns.source.length;
      return columns;
    };
    async function* slices(): AsyncGenerator<EventColumns> {
      if (checkedWhole) yield flagged(checkedWhole);
      else {
        for (let from = 0; from < events.length; from += SLICE_EVENTS) {
          yield flagged(validator.slice(events, from, Math.min(from + SLICE_EVENTS, events.length)));
        }
      }
      drained = true;
    }
    const accepted = await target.insert(orgId, slices());
    // The answer counts every event, so a target must pull every slice.
    if (!drained) throw new Error('ingest target returned before taking every slice');

    const { rejected, errors, errorsTruncated } = validator.report();
    const result: IngestResult = {
      org_id: orgId,
      received: events.length,
      accepted,
      duplicate: valid - accepted,
      rejected,
      outside_area: outsideArea,
      errors,
      errors_truncated: errorsTruncated,
    };
    return jsonResponse(result);
  };
}
