/**
 * The words every human-facing kind (Slack, Teams, email) shows for a notification
 * (pure): what happened, the facts (severity, counts, place) and links.
 */
import type { AlertSnapshot, Notification, Place } from './types.ts';

const EVENT_WORDS: Record<Notification['event'], string> = {
  fired: 'Alert fired', escalated: 'Alert escalated', grew: 'Alert grew',
  acknowledged: 'Alert acknowledged', resolved: 'Alert resolved', test: 'Test notification',
};

/** "Alert fired: High fire hotspot". */
export function headline(n: Notification): string {
  return `${EVENT_WORDS[n.event]}: ${n.alert.title}`;
}

const plural = (k: number, one: string, many = `${one}s`): string => `${k} ${k === 1 ? one : many}`;

/** "30 events in 1 cell; notified 2 times; detected 3 times in a row". */
export function countsText(a: AlertSnapshot): string {
  const parts: string[] = [];
  if (a.notified_observed !== null) {
    parts.push(`${plural(a.notified_observed, 'event')}${a.notified_cells !== null ? ` in ${plural(a.notified_cells, 'cell')}` : ''}`);
  }
  parts.push(`notified ${plural(a.notify_count, 'time')}`);
  parts.push(`detected ${plural(a.consecutive_detections, 'time')} in a row`);
  return parts.join('; ');
}

/** "40.75000, -73.99000 (radius 600 m)". */
export function placeText(p: Place | null): string {
  return p ? `${p.lat.toFixed(5)}, ${p.lng.toFixed(5)} (radius ${Math.round(p.radius_m)} m)` : 'unknown';
}

/** The place on OpenStreetMap. */
export function mapUrl(p: Place): string {
  return `https://www.openstreetmap.org/?mlat=${p.lat.toFixed(5)}&mlon=${p.lng.toFixed(5)}#map=15/${p.lat.toFixed(5)}/${p.lng.toFixed(5)}`;
}

/** The facts, in the order they are shown. */
export function facts(n: Notification): Array<[label: string, value: string]> {
  const a = n.alert;
  return [
    ['Severity', a.severity],
    ['Category', a.category],
    ['State', a.state],
    ['Counts', countsText(a)],
    ['Place', placeText(n.place)],
    ['Org', n.org.name],
  ];
}

/** Cut `text` to `max` characters, with an ellipsis when cut (destinations cap their fields). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
