/**
 * ingest-events: POST a batch of events for one org.
 *
 * Callers: the service role (any org; `org_id` required) or a user with the operator
 * or admin role in the org (viewer → 403, non-member → 404). Valid events are inserted
 * in one statement; invalid ones are answered as `rejected` with per-item errors
 * (`atomic: true` refuses the whole batch instead). Re-sending a batch is safe: rows
 * already stored count as `duplicate`. A database failure writes nothing.
 */
import { latLngToCell } from 'h3-js';
import type { Sql } from 'postgres';
import type { IngestResult } from '../_shared/contract.ts';
import { callerFromRequest, claimsJson, requireOrgRole, soleOrgWith, type Caller } from '../_shared/auth-claims.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type FieldError, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { emptyColumns, insertEvents, type EventColumns } from './store/events.ts';
import { DEFAULT_INGEST_LIMITS, envelopeSchema, eventSchema, serializeAttributes, type IngestLimits } from './schema.ts';

/** Resolution of `events.h3_cell` (the cube rolls it up to 8). */
export const EVENT_H3_RESOLUTION = 9;

export interface IngestDeps {
  sql: Sql;
  /** Clock in epoch ms (tests pin it). */
  now?: () => number;
  limits?: Partial<IngestLimits>;
  report?: ErrorReporter;
}

export interface PreparedBatch {
  columns: EventColumns;
  rejected: number;
  errors: Array<FieldError & { index: number }>;
  errorsTruncated: boolean;
}

/** Validate every event and build the insert columns (pure; exported for tests and the bench). */
export function prepareBatch(events: ReadonlyArray<unknown>, nowMs: number, limits: IngestLimits): PreparedBatch {
  const schema = eventSchema(nowMs, limits);
  const columns = emptyColumns();
  const errors: PreparedBatch['errors'] = [];
  let rejected = 0;
  let truncated = false;
  for (let i = 0; i < events.length; i++) {
    const parsed = schema.safeParse(events[i]);
    if (!parsed.success) {
      rejected++;
      for (const e of fieldErrors(parsed.error, `events[${i}]`)) {
        if (errors.length < limits.maxReportedErrors) errors.push({ index: i, ...e });
        else truncated = true;
      }
      continue;
    }
    const ev = parsed.data;
    const attrs = serializeAttributes(ev.attributes, limits);
    if ('error' in attrs) {
      rejected++;
      if (errors.length < limits.maxReportedErrors) errors.push({ index: i, path: `events[${i}].attributes`, code: 'custom', message: attrs.error });
      else truncated = true;
      continue;
    }
    columns.source.push(ev.source);
    columns.external_id.push(ev.external_id);
    columns.category.push(ev.category);
    columns.occurred_at.push(ev.occurred_at);
    columns.lat.push(ev.lat);
    columns.lng.push(ev.lng);
    columns.weight.push(ev.weight ?? 1);
    columns.h3_cell.push(latLngToCell(ev.lat, ev.lng, EVENT_H3_RESOLUTION));
    columns.attributes.push(attrs.json);
  }
  return { columns, rejected, errors, errorsTruncated: truncated };
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

  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator, or use the service role key.');
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

    const batch = prepareBatch(events, now(), limits);
    if (atomic && batch.rejected > 0) {
      throw new HttpError('validation_failed', `${batch.rejected} of ${events.length} events are invalid; nothing was stored.`,
        { errors: batch.errors, errors_truncated: batch.errorsTruncated, rejected: batch.rejected });
    }

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
      errors: batch.errors,
      errors_truncated: batch.errorsTruncated,
    };
    return jsonResponse(result);
  }, deps.report);
}

async function insertAsService(sql: Sql, orgId: string, columns: EventColumns): Promise<number> {
  const [org] = await sql`select 1 from public.orgs where id = ${orgId}`;
  if (!org) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
  return insertEvents(sql, orgId, columns);
}

/**
 * As the user, under RLS: the code above already checked the role, and the
 * "operators insert their orgs' events" policy checks it again in the database.
 */
async function insertAsUser(sql: Sql, caller: Caller, orgId: string, columns: EventColumns): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claimsJson(caller)}, true)`;
    const [org] = await tx`select 1 from public.orgs where id = ${orgId}`;
    if (!org) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
    return insertEvents(tx, orgId, columns);
  });
}
