/**
 * events-admin: an org's admins erase named events — by source and external ids, or by
 * a period and an area (GeoJSON or H3 cells). Thin handler: who may (here), what is
 * valid (schema.ts), which events an area names (rules/area.ts), the SQL (store/).
 *
 * The events are found, deleted through public.erase_events (which corrects the count
 * cube: it stays equal to a recount of the events that remain) and the audit_log row
 * (who, what — the criteria —, how many) written in ONE transaction; a refused request
 * (bad fields, more than ERASE_LIMITS.maxEvents events) changes nothing. Raw events are
 * otherwise immutable (migrations/20261206174512_retention_and_erasure.sql).
 *
 * Callers: an admin of the org, or the service role (audited with no actor). Operator
 * or viewer → 403; a user of another org → 404 (the org is not revealed), the rule of
 * _shared/auth-claims.ts requireOrgRole; anon → 401. The role is checked on the
 * envelope before the fields are, so an outsider learns nothing from field errors.
 */
import type { Sql, TransactionSql } from 'postgres';
import { writeAudit, type JsonValue } from '../_shared/audit.ts';
import { callerFromRequest, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import type { EraseEventsResult } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { boundingBox, idsInside } from './rules/area.ts';
import { envelopeSchema, ERASE_LIMITS, eraseSchema, type EraseRequest } from './schema.ts';
import { eraseEvents, findByExternalIds, findInBox, findInCells } from './store/events.ts';

export interface EventsAdminDeps {
  sql: Sql;
  report?: ErrorReporter;
}

const tooMany = (): HttpError => validationError([{
  path: '(body)', code: 'too_many',
  message: `The request names more than ${ERASE_LIMITS.maxEvents} events; erase them in parts (narrower periods or areas).`,
}], `At most ${ERASE_LIMITS.maxEvents} events per erasure.`);

/** The ids the request names (and, by external ids, those not found). */
async function named(tx: TransactionSql, r: EraseRequest): Promise<{ ids: string[]; notFound?: string[] }> {
  const cap = ERASE_LIMITS.maxEvents + 1;
  if (r.by === 'ids') {
    const rows = await findByExternalIds(tx, r.orgId, r.source, r.externalIds);
    const found = new Set(rows.map((x) => x.external_id));
    return { ids: rows.map((x) => x.id), notFound: r.externalIds.filter((x) => !found.has(x)) };
  }
  if (r.cells) return { ids: await findInCells(tx, r.orgId, r, r.cells, cap) };
  // The bounding box may hold more events than the area: read a few times the cap.
  const boxed = await findInBox(tx, r.orgId, r, boundingBox(r.area), cap * 4);
  if (boxed.length >= cap * 4) throw tooMany();
  return { ids: idsInside(boxed, r.area) };
}

/** What the request named, as the audit row keeps it. */
function criteria(r: EraseRequest): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = r.by === 'ids'
    ? { source: r.source, external_ids: r.externalIds }
    : { from: r.from.toISOString(), to: r.to.toISOString(), ...(r.cells ? { cells: r.cells } : { area: r.area as unknown as JsonValue }) };
  if (r.by === 'range' && r.category) out['category'] = r.category;
  if (r.reason !== null) out['reason'] = r.reason;
  return out;
}

async function erase(sql: Sql, caller: Caller, r: EraseRequest): Promise<EraseEventsResult> {
  return await sql.begin(async (tx) => {
    const { ids, notFound } = await named(tx, r);
    if (ids.length > ERASE_LIMITS.maxEvents) throw tooMany();
    const erased = await eraseEvents(tx, r.orgId, ids);
    await writeAudit(tx, caller, {
      orgId: r.orgId, action: 'events.erase', targetType: 'events', targetId: r.by === 'ids' ? `source:${r.source}`.slice(0, 200) : 'period-and-area',
      before: null, after: { ...criteria(r), erased, ...(notFound ? { not_found: notFound.length } : {}) },
    });
    return { erased, ...(notFound ? { not_found: notFound } : {}) };
  });
}

export function createEventsAdminHandler(deps: EventsAdminDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an admin of the organisation.');
    const body = await readJsonBody(req, ERASE_LIMITS.maxBodyBytes);
    const env = envelopeSchema.safeParse(body);
    if (!env.success) throw validationError(fieldErrors(env.error));
    requireOrgRole(caller, env.data.org_id, 'admin');
    const parsed = eraseSchema.safeParse(body);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    return jsonResponse(await erase(deps.sql, caller, parsed.data));
  }, deps.report);
}
