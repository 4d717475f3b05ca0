import { Cron } from 'croner';

/**
 * A pg_cron schedule: five cron fields (vixie-cron semantics: day-of-month OR
 * day-of-week when both are restricted, '$' = last day of month), an @-macro, or
 * pg_cron's '[1-59] seconds' interval. Times are UTC (pg_cron's cron.timezone default
 * is GMT, as on Supabase).
 */
export type Schedule =
  | { kind: 'cron'; next(after: Date): Date | null }
  | { kind: 'interval'; seconds: number }
  | { kind: 'reboot' };

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parse a cron.job schedule; undefined when the scheduler cannot run it. */
export function parseSchedule(text: string): Schedule | undefined {
  const s = text.trim().toLowerCase();
  const interval = /^(\d+)\s*seconds?$/.exec(s);
  if (interval) {
    const seconds = Number(interval[1]);
    return seconds >= 1 && seconds <= 59 ? { kind: 'interval', seconds } : undefined;
  }
  if (s === '@reboot') return { kind: 'reboot' };
  const fields = (MACROS[s] ?? s).split(/\s+/);
  if (fields.length !== 5) return undefined;
  if (fields[2] !== undefined) fields[2] = fields[2].replace(/\$/g, 'L');
  try {
    const cron = new Cron(fields.join(' '), { timezone: 'UTC', mode: '5-part', paused: true, domAndDow: false });
    return { kind: 'cron', next: (after) => cron.nextRun(after) };
  } catch {
    return undefined;
  }
}
