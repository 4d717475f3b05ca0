/**
 * Timestamps from history files (pure): ISO 8601 with an offset or `Z` is taken as
 * is; a wall-clock time without one (`2025-03-30 02:30`, `2025-03-30T14:05:09`) is
 * read in the `--tz` IANA zone, and refused without it — guessing a zone would shift
 * every event of the file by hours.
 */

/** Why a timestamp was refused, or its UTC ISO text. */
export type ParsedTime = { iso: string } | { reason: string };

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** Throws RangeError for a zone Intl does not know. */
export function assertTimeZone(tz: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone: tz });
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset from UTC (ms) at the instant `utcMs`. */
function offsetAt(tz: string, utcMs: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Wall-clock time in `tz` → UTC ms. In a DST gap (a time that does not exist) the
 * offset before the change applies, as Temporal's 'compatible' disambiguation does;
 * in an overlap, the earlier instant.
 */
export function zonedToUtc(wall: number, tz: string): number {
  // Offsets a day either side bracket any change near `wall` (zones change at most once a day).
  const before = offsetAt(tz, wall - 86_400_000);
  const after = offsetAt(tz, wall + 86_400_000);
  const valid = [wall - before, wall - after].filter((t) => t + offsetAt(tz, t) === wall).sort((x, y) => x - y);
  return valid[0] ?? wall - before;
}

export function parseTimestamp(value: unknown, tz: string | null): ParsedTime {
  const s = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  if (!s) return { reason: 'occurred_at is empty' };
  if (WITH_OFFSET.test(s)) {
    const ms = Date.parse(s.replace(' ', 'T'));
    return Number.isFinite(ms) ? { iso: new Date(ms).toISOString() } : { reason: `occurred_at "${s}" is not a valid date` };
  }
  const m = WALL_CLOCK.exec(s);
  if (!m) return { reason: `occurred_at "${s}" is not an ISO 8601 date-time` };
  if (!tz) return { reason: `occurred_at "${s}" has no time zone offset (give --tz)` };
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = ''] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== Number(y) || back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) {
    return { reason: `occurred_at "${s}" is not a valid date` };
  }
  return { iso: new Date(zonedToUtc(wall, tz)).toISOString() };
}
