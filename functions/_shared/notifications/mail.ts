/**
 * Handing an email to SMTP with nodemailer (I/O): smtp:// (plain, or STARTTLS when
 * the server offers it) or smtps:// (TLS from the first byte, port 465 — what a hosted
 * edge function may use: ports 25 and 587 are blocked there). Never throws: SMTP's 5xx
 * answers and authentication failures are permanent, everything else is retried.
 */
import nodemailer from 'nodemailer';
import { DELIVERY } from './retry.ts';
import type { AttemptResult } from './retry.ts';
import type { MailMessage } from './kinds.ts';

export interface Envelope extends MailMessage {
  from: string;
  to: string[];
  /** Identical across retries, so a mail client can fold a repeated delivery. */
  messageId: string;
  headers: Record<string, string>;
}

export type SmtpSend = (url: string, mail: Envelope) => Promise<AttemptResult>;

const PERMANENT_CODES = new Set(['EAUTH', 'EENVELOPE', 'EMESSAGE']);

export const sendSmtp: SmtpSend = async (url, mail) => {
  const timeout = DELIVERY.sendTimeoutMs;
  const transport = nodemailer.createTransport({ url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  try {
    const info = await transport.sendMail({
      from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, messageId: mail.messageId, headers: mail.headers,
    });
    return { kind: 'mail', accepted: true, permanent: false, response: String(info.response ?? '') };
  } catch (e) {
    const err = e as { code?: string; responseCode?: number; response?: string; message?: string };
    // The server's reply code decides (5xx permanent, 4xx "try later" — nodemailer reports a 451 on
    // every recipient as EENVELOPE too); without one, only errors in our own message are permanent.
    const permanent = err.responseCode !== undefined ? err.responseCode >= 500 : PERMANENT_CODES.has(err.code ?? '');
    // nodemailer names the connection in its messages; the log shows no credentials of the URL.
    const text = (err.response ?? err.message ?? String(e)).replaceAll(url, new URL(url).host);
    return { kind: 'mail', accepted: false, permanent, response: [err.code, text].filter(Boolean).join(': ') };
  } finally {
    transport.close();
  }
};
