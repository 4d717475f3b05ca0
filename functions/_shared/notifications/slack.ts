/**
 * The `slack` kind: a Slack incoming webhook (pure). The body is a Block Kit message —
 * header (what happened), the alert's text, the facts as section fields (severity,
 * category, state, counts, place), buttons to the alert and the map — with `text` as
 * the fallback Slack shows in notifications and where blocks cannot be shown.
 * Limits from Slack's block reference (docs.slack.dev/reference/block-kit/blocks):
 * header text ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000, button text ≤ 75,
 * button url ≤ 3000. Slack answers 200 "ok"; errors are 4xx with a word
 * (`invalid_payload`, `no_service`, `channel_is_archived`) and are permanent; 429 and 5xx
 * are retried (the shared verdicts, retry.ts). The URL is the credential: not signed.
 */
import { z } from 'zod';
import { urlField } from './config.ts';
import type { HttpKind } from './kinds.ts';
import { clip, facts, headline, mapUrl, placeText } from './present.ts';
import type { Notification } from './types.ts';

/** Slack mrkdwn escapes only these three (docs.slack.dev "Formatting text for app surfaces"). */
export const slackEscape = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const plain = (text: string, max: number) => ({ type: 'plain_text', text: clip(text, max), emoji: true });
const mrkdwn = (text: string, max: number) => ({ type: 'mrkdwn', text: clip(text, max) });

export function slackBody(n: Notification): Record<string, unknown> {
  const a = n.alert;
  const fields = facts(n).map(([label, value]) => {
    const shown = label === 'Place' && n.place ? `<${mapUrl(n.place)}|${slackEscape(placeText(n.place))}>` : slackEscape(value);
    return mrkdwn(`*${label}*\n${shown}`, 2000);
  });
  const buttons: Array<Record<string, unknown>> = [
    { type: 'button', text: plain('Open the alert', 75), url: n.alertUrl, action_id: 'open_alert', style: 'primary' },
  ];
  if (n.place) buttons.push({ type: 'button', text: plain('Map', 75), url: mapUrl(n.place), action_id: 'open_map' });
  return {
    text: clip(`${headline(n)} (${a.severity} ${a.category}) ${n.alertUrl}`, 3000),
    blocks: [
      { type: 'header', text: plain(headline(n), 150) },
      { type: 'section', text: mrkdwn(slackEscape(a.description), 3000) },
      { type: 'section', fields },
      { type: 'actions', elements: buttons },
      { type: 'context', elements: [mrkdwn(`Hotwatch · ${slackEscape(n.org.name)} · ${n.idempotencyKey}`, 3000)] },
    ],
  };
}

export const slackKind: HttpKind = {
  kind: 'slack',
  transport: 'http',
  config: z.strictObject({ url: urlField }),
  signed: false,
  format: (n) => ({ body: JSON.stringify(slackBody(n)), headers: { 'Content-Type': 'application/json' } }),
  explain: (body) => body.trim(),
};
