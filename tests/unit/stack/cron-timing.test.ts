import { describe, expect, it } from 'vitest';
import { firstDue, nextDue } from '../../../stack/src/extensions/cron-timing.ts';
import { parseSchedule } from '../../../stack/src/extensions/schedule.ts';

const at = Date.parse('2026-12-06T12:00:30Z');

describe('cron due times', () => {
  it('intervals count from now, cron expressions from the next match', () => {
    expect(nextDue(parseSchedule('10 seconds')!, at)).toBe(at + 10_000);
    expect(firstDue(parseSchedule('10 seconds')!, at, true)).toBe(at + 10_000);
    expect(nextDue(parseSchedule('* * * * *')!, at)).toBe(Date.parse('2026-12-06T12:01:00Z'));
  });

  it('@reboot runs once at the worker start only', () => {
    const reboot = parseSchedule('@reboot')!;
    expect(firstDue(reboot, at, true)).toBe(at);
    expect(firstDue(reboot, at, false)).toBe(Number.POSITIVE_INFINITY);
    expect(nextDue(reboot, at)).toBe(Number.POSITIVE_INFINITY);
  });
});
