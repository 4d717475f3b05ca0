/** Number and time formatting for the panels (one place, so every panel reads alike). */

export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.0001) return '< 0.0001';
  return p < 0.01 ? p.toFixed(4) : p.toFixed(3);
}

/** Recurrence interval: "once in 2.7 years" reads better than "987 days". */
export function formatRecurrence(days: number): string {
  if (!Number.isFinite(days)) return 'never expected by chance';
  if (days >= 365e6) return 'less than once in a million years';
  if (days >= 365 * 2) return `once in ${(days / 365).toFixed(days >= 3650 ? 0 : 1)} years`;
  if (days >= 60) return `once in ${(days / 30.4).toFixed(1)} months`;
  if (days >= 1) return `once in ${days.toFixed(days >= 10 ? 0 : 1)} days`;
  return `once in ${(days * 24).toFixed(1)} hours`;
}

export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  return x >= 10 ? x.toFixed(0) : x.toFixed(1);
}

export function formatCount(x: number): string {
  return x >= 100 || Number.isInteger(x) ? Math.round(x).toLocaleString('en') : x.toFixed(1);
}

/** "5 min ago", "2 h ago", "3 days ago". */
export function formatAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hrs = Math.round(m / 60);
  if (hrs < 48) return `${hrs} h ago`;
  return `${Math.round(hrs / 24)} days ago`;
}

/**
 * The zone's short name at that instant ("CET" in winter, "CEST" in summer). British
 * English names Europe's zones, American English America's; where neither has a
 * name, the offset ("GMT+10") says it without ambiguity.
 */
export function zoneAbbreviation(at: Date, timeZone: string): string {
  let fallback = '';
  for (const locale of ['en-GB', 'en-US']) {
    const part = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (part && !/^(GMT|UTC)[+-]/.test(part)) return part;
    fallback ||= part;
  }
  return fallback || timeZone;
}

/** "6 Dec, 14:05 CET": the instant on the org's clock (its IANA zone), with the zone's abbreviation. */
export function formatTime(iso: string, timeZone = 'UTC'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const clock = d.toLocaleString('en-GB', { timeZone, day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${clock} ${zoneAbbreviation(d, timeZone)}`;
}

export function formatDistance(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

export function titleCase(s: string): string {
  return s.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

/** `datetime-local` value (local time, minutes) for a Date. */
export const localInput = (d: Date): string => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
