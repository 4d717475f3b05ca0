/**
 * Local time in an org's IANA zone (org_settings.time_zone), with the runtime's tz
 * database (Intl): the offset at an instant — which changes at daylight saving, so a
 * fixed offset is wrong for half the year — and local clock text for alert sentences.
 * Pure (deterministic for a given zone and instant).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Minutes local time is ahead of UTC in `timeZone` at `epochMs` (Europe/Amsterdam: 60 in winter, 120 in summer). */
export function utcOffsetMinutes(timeZone: string, epochMs: number): number {
  const p: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(epochMs)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!, p['second']!);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60_000);
}

/**
 * The offset as a function of the instant, memoised per quarter hour (every zone's
 * changes fall on quarter hours), for the detection engine's `utcOffsetAt`.
 */
export function offsetFunction(timeZone: string): (epochMs: number) => number {
  const memo = new Map<number, number>();
  return (t) => {
    const q = Math.floor(t / 900_000);
    let m = memo.get(q);
    if (m === undefined) {
      m = utcOffsetMinutes(timeZone, q * 900_000);
      memo.set(q, m);
    }
    return m;
  };
}

/** "14:05" in the zone. */
export function localClock(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(epochMs);
}
