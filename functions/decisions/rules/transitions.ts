/**
 * What an operator's decision may do (pure): the one table of operator transitions,
 * read by the handler and passed to the SQL as parameters, so no `where status = …`
 * clause restates it. The scan's own alert transitions (detected, quiet, resolved with
 * its hotspot) are the alert machine's (hotspot-scan/rules/alert-machine.ts); both use
 * the states of the generated enum (_shared/vocabulary.ts).
 *
 *  - approve / reject: a pending recommendation → approved / rejected. Approving also
 *    acknowledges its alert when the alert may be acknowledged (audited as its own
 *    'acknowledge' decision).
 *  - acknowledge: pending or firing → acknowledged; resolve: any open state → resolved,
 *    and the alert's pending recommendations are superseded.
 */
import type { AlertState, RecommendationStatus } from '../../_shared/vocabulary.ts';

export type RecommendationAction = 'approve' | 'reject';
export type AlertAction = 'acknowledge' | 'resolve';
export type DecisionAction = RecommendationAction | AlertAction;

export interface Transition<S extends string> {
  /** States the action may start from. */
  from: readonly S[];
  to: S;
}

export const RECOMMENDATION_TRANSITIONS: Readonly<Record<RecommendationAction, Transition<RecommendationStatus>>> = Object.freeze({
  approve: { from: ['pending'], to: 'approved' },
  reject: { from: ['pending'], to: 'rejected' },
});

export const ALERT_TRANSITIONS: Readonly<Record<AlertAction, Transition<AlertState>>> = Object.freeze({
  acknowledge: { from: ['pending', 'firing'], to: 'acknowledged' },
  resolve: { from: ['pending', 'firing', 'acknowledged'], to: 'resolved' },
});

/** Recommendation statuses a resolved alert supersedes. */
export const SUPERSEDED_WHEN_RESOLVED: readonly RecommendationStatus[] = ['pending'];

/** Whether `action` may move a row in state `current`. */
export function allows<S extends string>(t: Transition<S>, current: S): boolean {
  return t.from.includes(current);
}

/** Approving acknowledges the alert only where an operator could acknowledge it. */
export function approvalAcknowledges(alertState: AlertState): boolean {
  return allows(ALERT_TRANSITIONS.acknowledge, alertState);
}

/** The 409 message for a decision the row's state no longer allows. */
export function conflictMessage(what: 'recommendation' | 'alert', current: string, t: Transition<string>): string {
  return what === 'recommendation'
    ? `The recommendation is ${current}; only a ${t.from.join(' or ')} recommendation can be ${t.to}.`
    : `The alert is ${current}; it cannot be ${t.to}.`;
}
