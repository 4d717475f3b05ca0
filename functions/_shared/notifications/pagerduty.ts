/**
 * The `pagerduty` kind: PagerDuty Events API v2 (pure). POST to
 * https://events.pagerduty.com/v2/enqueue (or the channel's URL) with the channel's
 * secret, the integration's routing key, in the body as the API requires
 * (developer.pagerduty.com, "Send an Alert Event"). `trigger` when the alert fires,
 * escalates or grows (one dedup_key per alert, so later triggers update the same
 * incident), `acknowledge` and `resolve` mirrored from the alert's state — those two are
 * sent whatever the channel rule's `events` says, or PagerDuty incidents would stay
 * open. Severities: critical → critical, high → error, medium → warning, low → info.
 * PagerDuty answers 202 `{"status":"success","dedup_key":…}`; 400 (invalid event) is
 * permanent; 429 and 5xx are retried with the shared backoff (retry.ts).
 */
import { z } from 'zod';
import { urlField } from './config.ts';
import type { HttpKind } from './kinds.ts';
import { clip, countsText, placeText } from './present.ts';
import type { Notification } from './types.ts';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const PD_SEVERITY = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' } as const;

/** One incident per alert: the org and alert ids (≤ 255 characters, PagerDuty's limit). */
export function dedupKey(n: Notification): string {
  const id = n.event === 'test' ? `test-${n.idempotencyKey}` : `alert-${n.alert.id}`;
  return clip(`hotwatch-${n.org.id}-${id}`, 255);
}

export function eventAction(event: Notification['event']): 'trigger' | 'acknowledge' | 'resolve' {
  return event === 'acknowledged' ? 'acknowledge' : event === 'resolved' ? 'resolve' : 'trigger';
}

export function pagerdutyBody(n: Notification, routingKey: string): Record<string, unknown> {
  const action = eventAction(n.event);
  const base = { routing_key: routingKey, event_action: action, dedup_key: dedupKey(n) };
  if (action !== 'trigger') return base;
  const a = n.alert;
  return {
    ...base,
    payload: {
      summary: clip(`${a.title} (${n.event})`, 1024),
      source: `hotwatch/${n.org.slug}`,
      severity: PD_SEVERITY[a.severity] ?? 'info',
      timestamp: n.occurredAt,
      component: a.category,
      group: n.org.slug,
      class: 'hotspot',
      custom_details: {
        event: n.event, alert_id: Number(a.id), state: a.state, severity: a.severity, category: a.category,
        counts: countsText(a), place: placeText(n.place), description: a.description, org: n.org.name,
      },
    },
    client: 'Hotwatch',
    client_url: n.alertUrl,
    links: [{ href: n.alertUrl, text: 'Open the alert in Hotwatch' }],
  };
}

export const pagerdutyKind: HttpKind = {
  kind: 'pagerduty',
  transport: 'http',
  defaultUrl: PAGERDUTY_EVENTS_URL,
  // An Events API v2 integration key is 32 characters.
  config: z.strictObject({ url: urlField.optional(), secret: z.string().trim().regex(/^[A-Za-z0-9]{32}$/, 'A PagerDuty routing (integration) key is 32 letters and digits.') }),
  mirrored: ['acknowledged', 'resolved'],
  signed: false,
  format: (n, secret) => ({ body: JSON.stringify(pagerdutyBody(n, secret)), headers: { 'Content-Type': 'application/json' } }),
  explain: (body) => {
    try {
      const e = JSON.parse(body) as { status?: string; message?: string; errors?: string[] };
      return [e.status, e.message, ...(e.errors ?? [])].filter(Boolean).join(': ');
    } catch {
      return body.trim();
    }
  },
};
