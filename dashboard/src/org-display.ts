/**
 * How the board tells time and names categories for the selected org, from its
 * settings (org_settings.time_zone, .categories) rather than code constants or the
 * browser's zone. One instance per page; the board sets it from the settings row and
 * again on every change (Realtime), and the panels read it when they render — their
 * keyed lists include `version` in each item's stamp so a change redraws them.
 */
import { formatTime, titleCase } from './format.ts';
import type { CategorySetting } from './settings-api.ts';

export class OrgDisplay {
  timeZone = 'UTC';
  /** Bumped on every change: part of the panels' redraw stamps. */
  version = 0;
  private categories = new Map<string, CategorySetting>();
  private readonly listeners = new Set<() => void>();

  set(s: { time_zone: string; categories: readonly CategorySetting[] }): void {
    this.timeZone = s.time_zone;
    this.categories = new Map(s.categories.map((c) => [c.key, c]));
    this.version += 1;
    for (const cb of this.listeners) cb();
  }

  /** Back to defaults (another org is being opened). */
  reset(): void {
    this.set({ time_zone: 'UTC', categories: [] });
  }

  /** An instant on the org's clock with its zone's abbreviation, e.g. "6 Dec, 14:05 CET". */
  time(iso: string): string {
    return formatTime(iso, this.timeZone);
  }

  /** The category's label as the org names it, capitalised for a badge or heading; the key when unknown. */
  label(key: string): string {
    const c = this.categories.get(key);
    return c ? c.label.replace(/^\p{Ll}/u, (ch) => ch.toUpperCase()) : titleCase(key);
  }

  /** The label as stored, for use mid-sentence ("a critical flooding hotspot"); the key when unknown. */
  phrase(key: string): string {
    return this.categories.get(key)?.label ?? key.replace(/_/g, ' ');
  }

  /** The category's colour (#rrggbb), or null when the org has none for it. */
  colour(key: string): string | null {
    return this.categories.get(key)?.colour ?? null;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

export const display = new OrgDisplay();
