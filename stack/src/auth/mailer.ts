import nodemailer, { type Transporter } from 'nodemailer';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { composeEmail, type TemplateData } from './mail-templates.ts';
import type { AuthSettings, EmailKind } from './settings.ts';

/**
 * Sending Auth's emails over SMTP with nodemailer: to the stack's mail catcher, or to
 * [auth.email.smtp] when config.toml enables one. Guarded by the project-wide
 * [auth.rate_limit] email_sent budget per hour, as GoTrue's sendEmail applies it.
 */
export interface Mailer {
  send(kind: EmailKind, to: string, data: TemplateData): Promise<void>;
  close(): void;
}

/** A token bucket of `perHour` emails refilled continuously (GoTrue's limiter over one hour). */
export class EmailRateLimiter {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly perHour: number) { this.tokens = perHour; }
  allow(): boolean {
    if (this.perHour <= 0) return false;
    const now = Date.now();
    this.tokens = Math.min(this.perHour, this.tokens + ((now - this.last) / 3_600_000) * this.perHour);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function createMailer(settings: AuthSettings, catcher: { host: string; port: number } | undefined): Mailer {
  const smtp = settings.smtp;
  const transport: Transporter | undefined = smtp
    ? nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: smtp.port === 465, auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? '' } : undefined })
    : catcher ? nodemailer.createTransport({ host: catcher.host, port: catcher.port, secure: false, ignoreTLS: true }) : undefined;
  const from = smtp
    ? { name: smtp.senderName, address: smtp.adminEmail }
    : { name: '', address: 'admin@email.com' }; // the CLI's GOTRUE_SMTP_ADMIN_EMAIL
  const limiter = new EmailRateLimiter(settings.emailSentPerHour);
  return {
    async send(kind, to, data) {
      // GoTrue: zero events always refuses; otherwise the limiter applies unless autoconfirm is on.
      if (settings.emailSentPerHour === 0 || (!settings.mailerAutoconfirm && !limiter.allow())) {
        throw new AuthError(429, AUTH_ERROR.overEmailSendRateLimit, 'email rate limit exceeded');
      }
      if (!transport) throw new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Error sending email: no SMTP server configured');
      const { subject, html } = composeEmail(kind, settings.templates[kind], data);
      try {
        await transport.sendMail({ from, to, subject, html });
      } catch (e) {
        throw new AuthError(500, AUTH_ERROR.unexpectedFailure, `Error sending ${kind.replace('_', ' ')} email`, e);
      }
    },
    close() { transport?.close(); },
  };
}
