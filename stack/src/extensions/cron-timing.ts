/**
 * When a pg_cron job is next due: intervals count from now, cron expressions from the
 * next matching time, @reboot once at the worker's start only.
 */
import type { Schedule } from './schedule.ts';

/** The first due time of a job the worker just learnt about (ms since epoch). */
export function firstDue(schedule: Schedule, now: number, atStartup: boolean): number {
  if (schedule.kind === 'reboot') return atStartup ? now : Number.POSITIVE_INFINITY;
  return nextDue(schedule, now);
}

/** The due time after a run came due at `now` (@reboot never again). */
export function nextDue(schedule: Schedule, now: number): number {
  if (schedule.kind === 'interval') return now + schedule.seconds * 1000;
  if (schedule.kind === 'reboot') return Number.POSITIVE_INFINITY;
  return schedule.next(new Date(now))?.getTime() ?? Number.POSITIVE_INFINITY;
}
