import { describe, expect, it } from 'vitest';
import { Constants } from '../../../functions/_shared/database.types.ts';
import {
  ALERT_STATE_RANK, HOTSPOT_STATUS_RANK, isMemberRole, maxSeverity, ROLE_RANK, roleAtLeast, SEVERITY_RANK,
} from '../../../functions/_shared/vocabulary.ts';

const byRank = (rank: Readonly<Record<string, number>>): string[] => Object.keys(rank).sort((a, b) => rank[a]! - rank[b]!);

describe('vocabulary', () => {
  // PostgreSQL compares enum values in declaration order; the ranks must agree with it.
  it.each([
    ['severity', SEVERITY_RANK],
    ['alert_state', ALERT_STATE_RANK],
    ['hotspot_status', HOTSPOT_STATUS_RANK],
    ['member_role', ROLE_RANK],
  ] as const)('%s ranks follow the enum order of the migrated schema', (name, rank) => {
    expect(byRank(rank)).toEqual([...Constants.public.Enums[name]]);
  });

  it('maxSeverity, roleAtLeast and isMemberRole', () => {
    expect(maxSeverity('medium', 'high')).toBe('high');
    expect(maxSeverity('critical', 'low')).toBe('critical');
    expect(roleAtLeast('admin', 'operator')).toBe(true);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(isMemberRole('admin')).toBe(true);
    expect(isMemberRole('owner')).toBe(false);
    expect(isMemberRole('toString')).toBe(false);
  });
});
