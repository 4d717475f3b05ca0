/**
 * decisions: an operator approves or rejects a recommendation, or acknowledges or
 * resolves an alert. Thin handler: who may decide (here), what a decision may do
 * (rules/transitions.ts), the SQL (store/decisions.ts).
 *
 * Each is one atomic transition from an allowed state, so of many concurrent
 * decisions exactly one wins and every other gets 409 with the row's current state.
 * The winner writes its row to public.decisions and its public.audit_log row
 * (_shared/audit.ts) in the same transaction. Approving
 * acknowledges the alert (its own 'acknowledge' row); resolving an alert supersedes
 * its pending recommendations. Rows are locked alert-first, the order the scan writes in.
 *
 * Callers: a signed-in operator or admin of the row's org. Viewer → 403; a user of
 * another org → 404 (the row's existence is not revealed); anon → 401; the service
 * role → 403 (a decision needs a person to audit).
 */
import type { Sql } from 'postgres';
import { writeAudit } from '../_shared/audit.ts';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, canSeeOrg, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import type { AlertDecisionResult, RecommendationDecisionResult } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import {
  ALERT_TRANSITIONS, allows, approvalAcknowledges, conflictMessage, RECOMMENDATION_TRANSITIONS,
  SUPERSEDED_WHEN_RESOLVED, type AlertAction, type RecommendationAction,
} from './rules/transitions.ts';
import { DECISIONS_MAX_BODY_BYTES, decisionSchema, type ParsedDecision } from './schema.ts';
import {
  alertDecisionState, decideRecommendationRow, findAlert, findRecommendation, insertDecision, lockAlert, recommendationDecisionState,
  setAlertState, supersedeRecommendations,
} from './store/decisions.ts';

export interface DecisionDeps {
  sql: Sql;
  report?: ErrorReporter;
}

type Operator = Caller & { userId: string };

function authorize(caller: Caller, orgId: string | undefined, what: 'recommendation' | 'alert', id: string): asserts orgId is string {
  const code = what === 'recommendation' ? 'recommendation_not_found' : 'alert_not_found';
  if (!orgId || (caller.kind === 'user' && !canSeeOrg(caller, orgId))) throw new HttpError(code, `No such ${what}.`, { id });
  requireOrgRole(caller, orgId, 'operator');
}

async function decideRecommendation(sql: Sql, caller: Operator, action: RecommendationAction, recId: string, reason: string | null): Promise<RecommendationDecisionResult> {
  const found = await findRecommendation(sql, recId);
  authorize(caller, found?.org_id, 'recommendation', recId);
  const { org_id: orgId, alert_id: alertId } = found!;
  const t = RECOMMENDATION_TRANSITIONS[action];
  return sql.begin(async (tx) => {
    // Alert first, then the recommendation: the scan's write order (no deadlocks).
    const alertState = await lockAlert(tx, alertId);
    const recommendation = await decideRecommendationRow(tx, recId, t, caller.userId, reason);
    if (!recommendation) {
      const current = await recommendationDecisionState(tx, recId);
      throw new HttpError('conflict', conflictMessage('recommendation', current.status, t), { current });
    }
    // The update matched one of t.from; approve and reject start from one status (pending).
    const decision = await insertDecision(tx, { orgId, recommendationId: recId, alertId, action, from: t.from[0]!, to: t.to, reason, actor: caller.userId });
    await writeAudit(tx, caller, {
      orgId, action, targetType: 'recommendation', targetId: recId,
      before: { status: t.from[0]! }, after: { status: t.to, decision_reason: reason },
    });
    let alert: RecommendationDecisionResult['alert'] = null;
    if (action === 'approve' && approvalAcknowledges(alertState)) {
      alert = await setAlertState(tx, alertId, 'acknowledged', caller.userId);
      const why = `approved recommendation ${recId}`;
      await insertDecision(tx, { orgId, recommendationId: null, alertId, action: 'acknowledge', from: alertState, to: 'acknowledged', reason: why, actor: caller.userId });
      await writeAudit(tx, caller, { orgId, action: 'acknowledge', targetType: 'alert', targetId: alertId, before: { state: alertState }, after: { state: 'acknowledged', reason: why } });
    }
    return { decision, recommendation, alert };
  });
}

async function decideAlert(sql: Sql, caller: Operator, action: AlertAction, alertId: string, reason: string | null): Promise<AlertDecisionResult> {
  const found = await findAlert(sql, alertId);
  authorize(caller, found?.org_id, 'alert', alertId);
  const orgId = found!.org_id;
  const t = ALERT_TRANSITIONS[action];
  return sql.begin(async (tx) => {
    const prev = await lockAlert(tx, alertId);
    if (!allows(t, prev)) {
      throw new HttpError('conflict', conflictMessage('alert', prev, t), { current: await alertDecisionState(tx, alertId) });
    }
    const alert = await setAlertState(tx, alertId, t.to === 'resolved' ? 'resolved' : 'acknowledged', caller.userId);
    const decision = await insertDecision(tx, { orgId, recommendationId: null, alertId, action, from: prev, to: t.to, reason, actor: caller.userId });
    const superseded = action === 'resolve' ? await supersedeRecommendations(tx, alertId, SUPERSEDED_WHEN_RESOLVED) : 0;
    await writeAudit(tx, caller, {
      orgId, action, targetType: 'alert', targetId: alertId,
      before: { state: prev }, after: { state: t.to, reason, ...(action === 'resolve' ? { superseded_recommendations: superseded } : {}) },
    });
    return { decision, alert, superseded_recommendations: superseded };
  });
}

export function createDecisionsHandler(deps: DecisionDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator to decide.');
    if (caller.kind === 'service' || !caller.userId) throw new HttpError('forbidden', 'Decisions are made by a signed-in operator (they are audited by user).');
    await refuseBannedCaller(deps.sql, caller);
    const user = caller as Operator;
    const parsed = decisionSchema.safeParse(await readJsonBody(req, DECISIONS_MAX_BODY_BYTES));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const d: ParsedDecision = parsed.data;
    const reason = d.reason ? d.reason : null;
    const result = d.action === 'approve' || d.action === 'reject'
      ? await decideRecommendation(deps.sql, user, d.action, d.recommendation_id, reason)
      : await decideAlert(deps.sql, user, d.action, d.alert_id, reason);
    return jsonResponse(result);
  }, deps.report);
}
