/**
 * Which alert changes deserve a browser notification (pure): an alert that fires
 * (first notified) or escalates (notified again at a higher severity) — the same
 * events the outbox trigger derives (docs/functions.md "Events"), read from the rows
 * the alerts stream delivers. Alerts already notified before the page started watching
 * are remembered, not announced.
 */
import type { Alert, Severity } from './types.ts';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

interface Seen { notifyCount: number; severity: Severity }

export interface Announcement { event: 'fired' | 'escalated'; alert: Alert }

export class AlertAnnouncer {
  private readonly seen = new Map<number, Seen>();
  /** `since`: when the page started watching (epoch ms); earlier notifications are history. */
  constructor(private readonly since: number) {}

  /** The announcements in `rows` since the last call. */
  next(rows: readonly Alert[]): Announcement[] {
    const out: Announcement[] = [];
    for (const a of rows) {
      const before = this.seen.get(a.id);
      this.seen.set(a.id, { notifyCount: a.notify_count, severity: a.severity });
      if (a.notify_count === 0 || (before && a.notify_count <= before.notifyCount)) continue;
      if (a.state !== 'firing') continue;
      if (!before) {
        // A row first seen now: new only if it was notified after the page started watching.
        if (a.last_notified_at && Date.parse(a.last_notified_at) >= this.since) {
          out.push({ event: a.notify_count === 1 ? 'fired' : 'escalated', alert: a });
        }
      } else if (before.notifyCount === 0) {
        out.push({ event: 'fired', alert: a });
      } else if (RANK[a.severity] > RANK[before.severity]) {
        out.push({ event: 'escalated', alert: a });
      }
    }
    return out;
  }
}
