/**
 * decisions: an operator approves or rejects a recommendation, or acknowledges or
 * resolves an alert.
 *
 * Each is one atomic transition from an allowed state — `update … where status =
 * 'pending' returning …` — so of many concurrent decisions exactly one wins and every
 * other gets 409 with the row's current state. The winner writes an audit row to
 * public.decisions in the same transaction. Approving acknowledges the alert (audited
 * as its own 'acknowledge' row); resolving an alert supersedes its pending
 * recommendations. Rows are locked alert-first, the order the scan writes in.
 *
 * Callers: a signed-in operator or admin of the row's org. Viewer → 403; a user of
 * another org → 404 (the row's existence is not revealed); anon → 401; the service
 * role → 403 (a decision needs a person to audit).
 */
import type { Sql, TransactionSql } from 'postgres';
import { callerFromRequest, canSeeOrg, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import { DECISIONS_MAX_BODY_BYTES, decisionSchema, type ParsedDecision } from './schema.ts';

export interface DecisionDeps {
  sql: Sql;
  report?: ErrorReporter;
}

type RecAction = 'approve' | 'reject';
type AlertAction = 'acknowledge' | 'resolve';

const REC_TARGET: Record<RecAction, 'approved' | 'rejected'> = { approve: 'approved', reject: 'rejected' };
/** Alert states each action may start from. */
const ALERT_FROM: Record<AlertAction, string[]> = { acknowledge: ['pending', 'firing'], resolve: ['pending', 'firing', 'acknowledged'] };
const ALERT_TARGET: Record<AlertAction, 'acknowledged' | 'resolved'> = { acknowledge: 'acknowledged', resolve: 'resolved' };

async function audit(tx: TransactionSql, row: {
  orgId: string; recommendationId: string | null; alertId: string | null; action: string; from: string; to: string; reason: string | null; actor: string;
}): Promise<Record<string, unknown>> {
  const [d] = await tx`
    insert into public.decisions (org_id, recommendation_id, alert_id, action, from_status, to_status, reason, actor)
    values (${row.orgId}, ${row.recommendationId}, ${row.alertId}, ${row.action}, ${row.from}, ${row.to}, ${row.reason}, ${row.actor})
    returning id, action, from_status, to_status, reason, actor, created_at`;
  return d!;
}

function authorize(caller: Caller, orgId: string | undefined, what: 'recommendation' | 'alert', id: string): void {
  const code = what === 'recommendation' ? 'recommendation_not_found' : 'alert_not_found';
  if (!orgId || (caller.kind === 'user' && !canSeeOrg(caller, orgId))) throw new HttpError(code, `No such ${what}.`, { id });
  requireOrgRole(caller, orgId, 'operator');
}

async function decideRecommendation(sql: Sql, caller: Caller & { userId: string }, action: RecAction, recId: string, reason: string | null) {
  const [found] = await sql<Array<{ org_id: string; alert_id: string }>>`select org_id, alert_id from public.recommendations where id = ${recId}`;
  authorize(caller, found?.org_id, 'recommendation', recId);
  const { org_id: orgId, alert_id: alertId } = found!;
  const to = REC_TARGET[action];
  return sql.begin(async (tx) => {
    // Alert first, then the recommendation: the scan's write order (no deadlocks).
    await tx`select id from public.alerts where id = ${alertId} for update`;
    const [rec] = await tx`
      update public.recommendations
         set status = ${to}, decided_by = ${caller.userId}, decided_at = now(), decision_reason = ${reason}
       where id = ${recId} and status = 'pending'
      returning *`;
    if (!rec) {
      const [cur] = await tx`select status, decided_by, decided_at, decision_reason, alert_revision from public.recommendations where id = ${recId}`;
      throw new HttpError('conflict', `The recommendation is ${cur!.status}; only a pending recommendation can be ${to}.`, { current: cur });
    }
    const decision = await audit(tx, { orgId, recommendationId: recId, alertId, action, from: 'pending', to, reason, actor: caller.userId });
    let alert: Record<string, unknown> | null = null;
    if (action === 'approve') {
      const [prev] = await tx<Array<{ state: string }>>`select state from public.alerts where id = ${alertId}`;
      const [a] = await tx`
        update public.alerts set state = 'acknowledged', acknowledged_by = ${caller.userId}, acknowledged_at = now()
         where id = ${alertId} and state in ('pending', 'firing')
        returning *`;
      if (a) {
        await audit(tx, { orgId, recommendationId: null, alertId, action: 'acknowledge', from: prev!.state, to: 'acknowledged', reason: `approved recommendation ${recId}`, actor: caller.userId });
        alert = a;
      }
    }
    return { decision, recommendation: rec, alert };
  });
}

async function decideAlert(sql: Sql, caller: Caller & { userId: string }, action: AlertAction, alertId: string, reason: string | null) {
  const [found] = await sql<Array<{ org_id: string }>>`select org_id from public.alerts where id = ${alertId}`;
  authorize(caller, found?.org_id, 'alert', alertId);
  const orgId = found!.org_id;
  const to = ALERT_TARGET[action];
  return sql.begin(async (tx) => {
    const [prev] = await tx<Array<{ state: string }>>`select state from public.alerts where id = ${alertId} for update`;
    if (!ALERT_FROM[action].includes(prev!.state)) {
      const [cur] = await tx`select state, acknowledged_by, acknowledged_at, resolved_by, resolved_at from public.alerts where id = ${alertId}`;
      throw new HttpError('conflict', `The alert is ${prev!.state}; it cannot be ${to}.`, { current: cur });
    }
    const [alert] = action === 'acknowledge'
      ? await tx`update public.alerts set state = 'acknowledged', acknowledged_by = ${caller.userId}, acknowledged_at = now()
                  where id = ${alertId} returning *`
      : await tx`update public.alerts set state = 'resolved', resolved_by = ${caller.userId}, resolved_at = now()
                  where id = ${alertId} returning *`;
    const decision = await audit(tx, { orgId, recommendationId: null, alertId, action, from: prev!.state, to, reason, actor: caller.userId });
    let superseded = 0;
    if (action === 'resolve') {
      superseded = (await tx`update public.recommendations set status = 'superseded' where alert_id = ${alertId} and status = 'pending'`).count;
    }
    return { decision, alert, superseded_recommendations: superseded };
  });
}

export function createDecisionsHandler(deps: DecisionDeps): Handler {
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in as an operator to decide.');
    if (caller.kind === 'service' || !caller.userId) throw new HttpError('forbidden', 'Decisions are made by a signed-in operator (they are audited by user).');
    const user = caller as Caller & { userId: string };
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
