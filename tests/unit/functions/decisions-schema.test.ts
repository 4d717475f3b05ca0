import { describe, expect, it } from 'vitest';
import { decisionSchema } from '../../../functions/decisions/schema.ts';

describe('decision request schema', () => {
  it('accepts the four actions and normalizes ids to strings', () => {
    expect(decisionSchema.parse({ action: 'approve', recommendation_id: 12 })).toEqual({ action: 'approve', recommendation_id: '12' });
    expect(decisionSchema.parse({ action: 'reject', recommendation_id: '9007199254740993', reason: ' no ' })).toEqual({ action: 'reject', recommendation_id: '9007199254740993', reason: 'no' });
    expect(decisionSchema.parse({ action: 'acknowledge', alert_id: 3 })).toMatchObject({ alert_id: '3' });
    expect(decisionSchema.parse({ action: 'resolve', alert_id: 3, reason: 'done' })).toMatchObject({ reason: 'done' });
  });
  it('refuses a rejection without a reason and ids that are not positive integers', () => {
    for (const bad of [{ action: 'reject', recommendation_id: 1 }, { action: 'reject', recommendation_id: 1, reason: '' },
      { action: 'approve', recommendation_id: 0 }, { action: 'approve', recommendation_id: '01' }, { action: 'resolve', alert_id: null }]) {
      expect(decisionSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
