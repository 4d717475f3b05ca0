/**
 * ingest-events: POST a batch of events for one org.
 *
 * Callers: the service role (any org; `org_id` required) or a user with the operator
 * or admin role in the org (viewer → 403, non-member → 404). Valid events are inserted
 * in one statement — the service role's streamed into one COPY while the batch is still
 * being validated, a user's one insert under RLS (store/); invalid ones are answered as
 * `rejected` with per-item errors (`atomic: true` refuses the whole batch instead).
 * Events whose cell lies outside the org's area (org_settings) are stored with
 * `outside_area` and counted in the answer. A batch with demo-generator events for a
 * non-demo org is refused (422 demo_not_allowed). Re-sending a batch is safe: rows
 * already stored count as `duplicate`. A database failure writes nothing. The pipeline
 * itself is ./ingest.ts (shared with ingest-feed); this file decides who may call.
 */
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole, soleOrgWith, type Caller } from '../_shared/auth-claims.ts';
import { HttpError, requireMethod, validationError, withErrors, type Handler } from '../_shared/http.ts';
import { createIngest, type IngestDeps } from './ingest.ts';
import { copyAsService } from './store/copy-events.ts';
import { insertAsUser } from './store/events.ts';

export type { IngestDeps } from './ingest.ts';

function resolveOrg(caller: Caller, orgId: string | undefined): string {
  if (orgId) return orgId;
  const sole = caller.kind === 'user' ? soleOrgWith(caller, 'operator') : null;
  if (sole) return sole;
  throw validationError([{ path: 'org_id', code: 'invalid_type', message: 'Required: the organisation the events belong to.' }]);
}

export function createIngestHandler(deps: IngestDeps): Handler {
  const ingest = createIngest(deps);
  const { sql } = deps;

  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator, or use the service role key.');
    await refuseBannedCaller(sql, caller);
    return ingest(req, {
      org: (bodyOrg) => {
        const orgId = resolveOrg(caller, bodyOrg);
        requireOrgRole(caller, orgId, 'operator');
        return orgId;
      },
      insert: (orgId, slices) => caller.kind === 'service'
        ? copyAsService(sql, orgId, slices)
        : insertAsUser(sql, caller, orgId, slices),
    });
  }, deps.report);
}
