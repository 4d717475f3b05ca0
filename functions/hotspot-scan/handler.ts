/**
 * hotspot-scan over HTTP: who may scan which org, then one run (run.ts).
 *
 * Callers: the service role (the cron schedule sends {org_id, trigger: "cron"}) or an
 * operator/admin of the org (viewer → 403, other org → 404, anon → 401).
 */
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole, soleOrgWith } from '../_shared/auth-claims.ts';
import type { ScanTrigger } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { runScan, type ScanDeps } from './run.ts';
import { SCAN_MAX_BODY_BYTES, scanRequestSchema } from './schema.ts';
import { orgCreatedAt } from './store/read.ts';

export function createScanHandler(deps: ScanDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator, or use the service role key.');
    await refuseBannedCaller(deps.sql, caller);
    const body = req.headers.get('content-length') === '0' ? {} : await readJsonBody(req, SCAN_MAX_BODY_BYTES).catch((e: unknown) => {
      if (e instanceof HttpError && e.code === 'invalid_json' && /empty/.test(e.message)) return {};
      throw e;
    });
    const parsed = scanRequestSchema.safeParse(body);
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const orgId = parsed.data.org_id ?? (caller.kind === 'user' ? soleOrgWith(caller, 'operator') : null);
    if (!orgId) throw validationError([{ path: 'org_id', code: 'invalid_type', message: 'Required: the organisation to scan.' }]);
    requireOrgRole(caller, orgId, 'operator');
    if (await orgCreatedAt(deps.sql, orgId) === null) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
    // Only the service role speaks for the schedule; everyone else is an HTTP scan.
    const trigger: ScanTrigger = caller.kind === 'service' && parsed.data.trigger === 'cron' ? 'cron' : 'http';
    return jsonResponse(await runScan(deps, orgId, trigger));
  }, deps.report);
}
