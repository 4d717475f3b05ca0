/**
 * ingest-events: POST a batch of events for one org.
 *
 * Callers: the service role (any org; `org_id` required) or a user with the operator
 * or admin role in the org (viewer → 403, non-member → 404). Valid events are inserted
 * in one statement; invalid ones are answered as `rejected` with per-item errors
 * (`atomic: true` refuses the whole batch instead). Events whose cell lies outside the
 * org's area (org_settings) are stored with `outside_area` and counted in the answer. A
 * batch with demo-generator events for a non-demo org is refused (422 demo_not_allowed). Re-sending a batch is safe: rows
 * already stored count as `duplicate`. A database failure writes nothing.
 */
import type { Sql } from 'postgres';
import type { IngestResult } from '../_shared/contract.ts';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole, soleOrgWith, type Caller } from '../_shared/auth-claims.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { hasDemoEvents } from '../_shared/demo.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { flagOutsideArea, prepareBatch } from './rules/batch.ts';
import { DEFAULT_INGEST_LIMITS, envelopeSchema, type IngestLimits } from './schema.ts';
import { areaReader } from './store/area.ts';
import { insertAsService, insertAsUser, orgIsDemo } from './store/events.ts';

export interface IngestDeps {
  sql: Sql;
  /** Clock in epoch ms (tests pin it). */
  now?: () => number;
  limits?: Partial<IngestLimits>;
  report?: ErrorReporter;
}

function resolveOrg(caller: Caller, orgId: string | undefined): string {
  if (orgId) return orgId;
  const sole = caller.kind === 'user' ? soleOrgWith(caller, 'operator') : null;
  if (sole) return sole;
  throw validationError([{ path: 'org_id', code: 'invalid_type', message: 'Required: the organisation the events belong to.' }]);
}

export function createIngestHandler(deps: IngestDeps): Handler {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const now = deps.now ?? Date.now;
  const { sql } = deps;
  const readArea = areaReader(sql);

  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator, or use the service role key.');
    await refuseBannedCaller(sql, caller);
    const body = await readJsonBody(req, limits.maxBodyBytes);

    const env = envelopeSchema.safeParse(body);
    if (!env.success) throw validationError(fieldErrors(env.error));
    const { events, atomic } = env.data;
    if (events.length > limits.maxEvents) {
      throw new HttpError('payload_too_large', `At most ${limits.maxEvents} events per request; split the batch.`,
        { limit_events: limits.maxEvents, received: events.length });
    }
    const orgId = resolveOrg(caller, env.data.org_id);
    requireOrgRole(caller, orgId, 'operator');
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
    const accepted = caller.kind === 'service'
      ? await insertAsService(sql, orgId, batch.columns)
      : await insertAsUser(sql, caller, orgId, batch.columns);

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
  }, deps.report);
}
