/**
 * hotspot-scan over HTTP: who may scan which org, then one run (run.ts).
 *
 * Callers: the service role or an operator/admin of the org (viewer → 403, other org →
 * 404, anon → 401). The schedule's POST — the service role, `{"trigger": "cron"}` and no
 * org — starts a round (dispatch.ts): 202 at once, the round in the background
 * (`{"wait": true}`: 200 with the round's figures, for operators and benchmarks).
 */
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole, soleOrgWith } from '../_shared/auth-claims.ts';
import type { ScanTrigger } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { DEFAULT_DISPATCH, dispatchRound, scanOverHttp, type DispatchOptions, type ScanOutcome } from './dispatch.ts';
import { runScan, type ScanDeps } from './run.ts';
import { SCAN_MAX_BODY_BYTES, scanRequestSchema } from './schema.ts';
import { orgCreatedAt } from './store/read.ts';

export interface ScanHandlerDeps extends ScanDeps {
  /** Keep a promise running after the response (EdgeRuntime.waitUntil). */
  background?: (p: Promise<unknown>) => void;
  dispatch?: DispatchOptions;
  /** This function's URL: a round's scans are requests to it (in-process without it). */
  selfUrl?: string;
}

export function createScanHandler(deps: ScanHandlerDeps): Handler {
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
    if (caller.kind === 'service' && parsed.data.trigger === 'cron' && !parsed.data.org_id) {
      const opts = deps.dispatch ?? DEFAULT_DISPATCH;
      const background = parsed.data.wait ? undefined : deps.background;
      const waited = !background;
      const scanOne = deps.selfUrl ? scanOverHttp(deps.selfUrl, req) : inProcess(deps);
      // A waited round is one pass over what is due now; a background round polls for news until its budget ends.
      const round = dispatchRound({ sql: deps.sql, scanOne, report: deps.report }, waited ? { ...opts, pollMs: null } : opts, req);
      if (!background) {
        const stats = await round;
        return jsonResponse(stats ? { round: 'ran', ...stats } : { round: 'already running' });
      }
      background(round.catch((e: unknown) => deps.report?.(e, req)));
      return jsonResponse({ accepted: true }, 202);
    }
    const orgId = parsed.data.org_id ?? (caller.kind === 'user' ? soleOrgWith(caller, 'operator') : null);
    if (!orgId) throw validationError([{ path: 'org_id', code: 'invalid_type', message: 'Required: the organisation to scan.' }]);
    requireOrgRole(caller, orgId, 'operator');
    if (await orgCreatedAt(deps.sql, orgId) === null) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
    // Only the service role speaks for the schedule; everyone else is an HTTP scan.
    const trigger: ScanTrigger = caller.kind === 'service' && parsed.data.trigger === 'cron' ? 'cron' : 'http';
    return jsonResponse(await runScan(deps, orgId, trigger));
  }, deps.report);
}

/** A round's scans in this process (tests and benchmarks run the handler in Node). */
const inProcess = (deps: ScanDeps) => async (orgId: string): Promise<ScanOutcome> =>
  (await runScan(deps, orgId, 'cron')).status === 'succeeded' ? 'succeeded' : 'skipped';
