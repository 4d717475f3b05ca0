import { describe, expect, it } from 'vitest';
import { Constants } from '../../../functions/_shared/database.types.ts';
import {
  ALERT_TRANSITIONS, allows, approvalAcknowledges, conflictMessage, RECOMMENDATION_TRANSITIONS, SUPERSEDED_WHEN_RESOLVED,
} from '../../../functions/decisions/rules/transitions.ts';

const ALERT_STATES = Constants.public.Enums.alert_state;
const REC_STATUSES = Constants.public.Enums.recommendation_status;

describe('operator decision rules', () => {
  // Every (action, state) pair of the generated enums, with the verdict spelled out.
  const alertTable: Record<keyof typeof ALERT_TRANSITIONS, Record<(typeof ALERT_STATES)[number], boolean>> = {
    acknowledge: { pending: true, firing: true, acknowledged: false, resolved: false },
    resolve: { pending: true, firing: true, acknowledged: true, resolved: false },
  };
  const recTable: Record<keyof typeof RECOMMENDATION_TRANSITIONS, Record<(typeof REC_STATUSES)[number], boolean>> = {
    approve: { pending: true, approved: false, rejected: false, superseded: false },
    reject: { pending: true, approved: false, rejected: false, superseded: false },
  };

  for (const [action, row] of Object.entries(alertTable) as Array<[keyof typeof alertTable, Record<string, boolean>]>) {
    for (const state of ALERT_STATES) {
      it(`${action} an alert that is ${state}: ${row[state] ? 'allowed' : '409'}`, () => {
        expect(allows(ALERT_TRANSITIONS[action], state)).toBe(row[state]);
      });
    }
  }
  for (const [action, row] of Object.entries(recTable) as Array<[keyof typeof recTable, Record<string, boolean>]>) {
    for (const status of REC_STATUSES) {
      it(`${action} a recommendation that is ${status}: ${row[status] ? 'allowed' : '409'}`, () => {
        expect(allows(RECOMMENDATION_TRANSITIONS[action], status)).toBe(row[status]);
      });
    }
  }

  it('targets', () => {
    expect(RECOMMENDATION_TRANSITIONS.approve.to).toBe('approved');
    expect(RECOMMENDATION_TRANSITIONS.reject.to).toBe('rejected');
    expect(ALERT_TRANSITIONS.acknowledge.to).toBe('acknowledged');
    expect(ALERT_TRANSITIONS.resolve.to).toBe('resolved');
    expect(SUPERSEDED_WHEN_RESOLVED).toEqual(['pending']);
  });

  it.each([
    ['pending', true], ['firing', true], ['acknowledged', false], ['resolved', false],
  ] as const)('approving acknowledges an alert that is %s: %s', (state, yes) => {
    expect(approvalAcknowledges(state)).toBe(yes);
  });

  it('conflict messages name the current state and the target', () => {
    expect(conflictMessage('recommendation', 'approved', RECOMMENDATION_TRANSITIONS.reject))
      .toBe('The recommendation is approved; only a pending recommendation can be rejected.');
    expect(conflictMessage('alert', 'resolved', ALERT_TRANSITIONS.acknowledge)).toBe('The alert is resolved; it cannot be acknowledged.');
  });
});
