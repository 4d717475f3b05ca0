/**
 * The decisions function's SQL. Each change is one atomic transition from an allowed
 * state (the states come from rules/transitions.ts as parameters), so of many
 * concurrent decisions exactly one wins. Rows are locked alert-first, the order the
 * scan writes in, so a decision and a scan never deadlock.
 */
import type { ISql, TransactionSql } from 'postgres';
import type { DecisionRecord, SentRow } from '../../_shared/contract.ts';
import type { DbRow } from '../../_shared/rows.ts';
import type { AlertState, RecommendationStatus } from '../../_shared/vocabulary.ts';
import type { DecisionAction, Transition } from '../rules/transitions.ts';

/** Rows as sent: postgres.js reads bigint as text; timestamps are Date until JSON makes them ISO text. */
export type AlertSent = SentRow<'alerts'>;
export type RecommendationSent = SentRow<'recommendations'>;

export async function findRecommendation(sql: ISql, id: string): Promise<DbRow<'recommendations', 'org_id' | 'alert_id', never, 'alert_id'> | null> {
  const [r] = await sql<DbRow<'recommendations', 'org_id' | 'alert_id', never, 'alert_id'>[]>`
    select org_id, alert_id from public.recommendations where id = ${id}`;
  return r ?? null;
}

export async function findAlert(sql: ISql, id: string): Promise<DbRow<'alerts', 'org_id'> | null> {
  const [r] = await sql<DbRow<'alerts', 'org_id'>[]>`select org_id from public.alerts where id = ${id}`;
  return r ?? null;
}

/** Lock the alert for the rest of the transaction; its state at the lock. */
export async function lockAlert(tx: TransactionSql, id: string): Promise<AlertState> {
  const [r] = await tx<DbRow<'alerts', 'state'>[]>`select state from public.alerts where id = ${id} for update`;
  return r!.state;
}

/** Move the recommendation along `t` when its status allows it; null when it did not. */
export async function decideRecommendationRow(
  tx: TransactionSql, id: string, t: Transition<RecommendationStatus>, actor: string, reason: string | null,
): Promise<RecommendationSent | null> {
  const [rec] = await tx<RecommendationSent[]>`
    update public.recommendations
       set status = ${t.to}, decided_by = ${actor}, decided_at = now(), decision_reason = ${reason}
     where id = ${id} and status = any(${t.from as RecommendationStatus[]}::public.recommendation_status[])
    returning *`;
  return rec ?? null;
}

type RecommendationDecisionState = DbRow<'recommendations', 'status' | 'decided_by' | 'decided_at' | 'decision_reason' | 'alert_revision', 'decided_at'>;
type AlertDecisionState = DbRow<'alerts', 'state' | 'acknowledged_by' | 'acknowledged_at' | 'resolved_by' | 'resolved_at', 'acknowledged_at' | 'resolved_at'>;

/** The recommendation's decision fields, for a 409 body. */
export async function recommendationDecisionState(tx: TransactionSql, id: string): Promise<RecommendationDecisionState> {
  const [cur] = await tx<RecommendationDecisionState[]>`
    select status, decided_by, decided_at, decision_reason, alert_revision from public.recommendations where id = ${id}`;
  return cur!;
}

/** The alert's decision fields, for a 409 body. */
export async function alertDecisionState(tx: TransactionSql, id: string): Promise<AlertDecisionState> {
  const [cur] = await tx<AlertDecisionState[]>`
    select state, acknowledged_by, acknowledged_at, resolved_by, resolved_at from public.alerts where id = ${id}`;
  return cur!;
}

/** Set a locked alert's state to `to` (acknowledged or resolved), stamping who and when. */
export async function setAlertState(tx: TransactionSql, id: string, to: 'acknowledged' | 'resolved', actor: string): Promise<AlertSent> {
  const [a] = to === 'acknowledged'
    ? await tx<AlertSent[]>`update public.alerts set state = 'acknowledged', acknowledged_by = ${actor}, acknowledged_at = now()
                             where id = ${id} returning *`
    : await tx<AlertSent[]>`update public.alerts set state = 'resolved', resolved_by = ${actor}, resolved_at = now()
                             where id = ${id} returning *`;
  return a!;
}

/** Supersede the alert's recommendations still in `statuses`; how many. */
export async function supersedeRecommendations(tx: TransactionSql, alertId: string, statuses: readonly RecommendationStatus[]): Promise<number> {
  const r = await tx`update public.recommendations set status = 'superseded'
                      where alert_id = ${alertId} and status = any(${statuses as RecommendationStatus[]}::public.recommendation_status[])`;
  return r.count;
}

export interface DecisionRow {
  orgId: string;
  recommendationId: string | null;
  alertId: string | null;
  action: DecisionAction;
  from: string;
  to: string;
  reason: string | null;
  actor: string;
}

/** Append to public.decisions (the operator decision log streams and dashboards read). */
export async function insertDecision(tx: TransactionSql, d: DecisionRow): Promise<DecisionRecord> {
  const [row] = await tx<DecisionRecord[]>`
    insert into public.decisions (org_id, recommendation_id, alert_id, action, from_status, to_status, reason, actor)
    values (${d.orgId}, ${d.recommendationId}, ${d.alertId}, ${d.action}, ${d.from}, ${d.to}, ${d.reason}, ${d.actor})
    returning id, action, from_status, to_status, reason, actor, created_at`;
  return row!;
}
