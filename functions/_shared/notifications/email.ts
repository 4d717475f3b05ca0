/**
 * The `email` kind: the notification as an email to the channel's addresses, plain
 * text plus HTML (pure). Sent by mail.ts over SMTP (smtp:// or smtps://, e.g. port 465
 * on a hosted project: edge functions may not connect to 25 or 587) or an HTTP mail API
 * (https://, Resend-shaped JSON); the channel's URL or the project's HOTWATCH_MAIL_URL.
 */
import { z } from 'zod';
import { emailAddresses, urlField } from './config.ts';
import type { MailKind, MailMessage } from './kinds.ts';
import { facts, headline, mapUrl } from './present.ts';
import type { Notification } from './types.ts';

export const MAIL_SCHEMES = ['smtp:', 'smtps:', 'https:', 'http:'] as const;

const esc = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

export function composeEmail(n: Notification): MailMessage {
  const a = n.alert;
  const rows = facts(n);
  const text = [
    headline(n), '', a.description, '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    ...(n.place ? [`Map: ${mapUrl(n.place)}`] : []),
    '', `Open the alert: ${n.alertUrl}`, '', `-- Hotwatch · ${n.idempotencyKey}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${esc(headline(n))}</h2>
<p>${esc(a.description)}</p>
<table cellpadding="4">${rows.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${k === 'Place' && n.place ? `<a href="${esc(mapUrl(n.place))}">${esc(v)}</a>` : esc(v)}</td></tr>`).join('')}</table>
<p><a href="${esc(n.alertUrl)}">Open the alert</a></p>
<p style="color:#777;font-size:small">Hotwatch · ${esc(n.idempotencyKey)}</p>
</body></html>`;
  return { subject: `[Hotwatch] ${headline(n)} (${a.severity})`, text, html };
}

export const emailKind: MailKind = {
  kind: 'email',
  transport: 'mail',
  schemes: MAIL_SCHEMES,
  // secret: the HTTP mail API's key, when the channel names its own API.
  config: z.strictObject({ addresses: emailAddresses, url: urlField.optional(), secret: z.string().min(1).max(500).optional() }),
  compose: composeEmail,
};
