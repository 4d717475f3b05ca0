/** The period an export covers (pure): validated ISO instants, start before end. */
import type { Period } from './model.ts';

/** ISO 8601 date or date-time; a time without an offset would depend on the reader's zone, so it needs one. */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Longest period one export covers: the report is built in memory, in a browser too. */
export const MAX_PERIOD_DAYS = 366;

/** The period from two ISO strings (a bare date is midnight UTC); throws an Error that says what is wrong. */
export function parsePeriod(from: string, to: string): Period {
  const at = (name: string, v: string): Date => {
    const d = new Date(v);
    if (!ISO.test(v.trim()) || Number.isNaN(d.getTime())) {
      throw new Error(`${name} must be an ISO 8601 date or date-time with an offset (e.g. 2026-12-01 or 2026-12-01T08:00:00Z), got "${v}"`);
    }
    return d;
  };
  const f = at('from', from);
  const t = at('to', to);
  if (t.getTime() <= f.getTime()) throw new Error('to must be after from');
  if (t.getTime() - f.getTime() > MAX_PERIOD_DAYS * 86_400_000) throw new Error(`a period covers at most ${MAX_PERIOD_DAYS} days`);
  return { from: f.toISOString(), to: t.toISOString() };
}
