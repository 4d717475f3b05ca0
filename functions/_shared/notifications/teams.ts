/**
 * The `teams` kind: a Microsoft Teams channel through a Workflows webhook ("Send
 * webhook alerts to a channel"; the Office 365 connectors are retired), pure. The body
 * is a message with one Adaptive Card attachment (learn.microsoft.com, "Create and send
 * messages" for Workflows webhooks): `{"type":"message","attachments":[{"contentType":
 * "application/vnd.microsoft.card.adaptive","content":<AdaptiveCard 1.4>}]}` — title,
 * text, a FactSet (severity, category, state, counts, place) and links to the alert and
 * the map. Workflows answers 202 Accepted; 4xx permanent, 429/5xx retried. The URL
 * carries its own signature (`sig=`): not signed.
 */
import { z } from 'zod';
import { urlField } from './config.ts';
import type { HttpKind } from './kinds.ts';
import { facts, headline, mapUrl } from './present.ts';
import type { Notification } from './types.ts';

const COLOR: Record<string, string> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default' };

export function adaptiveCard(n: Notification): Record<string, unknown> {
  const a = n.alert;
  const actions: Array<Record<string, unknown>> = [{ type: 'Action.OpenUrl', title: 'Open the alert', url: n.alertUrl }];
  if (n.place) actions.push({ type: 'Action.OpenUrl', title: 'Map', url: mapUrl(n.place) });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body: [
      { type: 'TextBlock', text: headline(n), weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading', color: n.event === 'resolved' ? 'Good' : COLOR[a.severity] ?? 'Default' },
      { type: 'TextBlock', text: a.description, wrap: true },
      { type: 'FactSet', facts: facts(n).map(([title, value]) => ({ title, value })) },
      { type: 'TextBlock', text: `Hotwatch · ${n.idempotencyKey}`, isSubtle: true, size: 'Small', wrap: true },
    ],
    actions,
  };
}

export function teamsBody(n: Notification): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(n) }],
  };
}

export const teamsKind: HttpKind = {
  kind: 'teams',
  transport: 'http',
  config: z.strictObject({ url: urlField }),
  signed: false,
  format: (n) => ({ body: JSON.stringify(teamsBody(n)), headers: { 'Content-Type': 'application/json' } }),
  explain: (body) => {
    try {
      const e = JSON.parse(body) as { error?: { code?: string; message?: string } };
      if (e.error) return [e.error.code, e.error.message].filter(Boolean).join(': ');
    } catch { /* not JSON */ }
    return body.trim();
  },
};
