import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../log.ts';
import { PortInUseError } from '../postgres/embedded.ts';
import type { MailAddress, MailStore } from './store.ts';

export const SMTP_LIMITS = {
  /** Largest message accepted: Auth's are a few KB, and the inbox lives in memory (500 × this at most). */
  maxMessageBytes: 2 * 1024 * 1024,
};

function flatten(list: EmailAddress[]): MailAddress[] {
  return list.flatMap((a) => a.group ? flatten(a.group) : [{ Name: a.name ?? '', Address: a.address ?? '' }]);
}

function addresses(v: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!v) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((o) => flatten(o.value));
}

/**
 * SMTP on its own port (the CLI's Mailpit: 54325), accepting any sender and recipient
 * without authentication or TLS, as a local catcher does. Parsing is mailparser's.
 */
export async function startSmtp(store: MailStore, opts: { host: string; port: number; log: Logger }): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'Hotwatch mail catcher',
    size: SMTP_LIMITS.maxMessageBytes,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((parsed) => {
          const envelopeTo = session.envelope.rcptTo.map((r) => ({ Name: '', Address: r.address }));
          const to = addresses(parsed.to);
          store.add({
            MessageID: (parsed.messageId ?? '').replace(/^<|>$/g, ''),
            From: addresses(parsed.from)[0] ?? null,
            To: to.length > 0 ? to : envelopeTo,
            Cc: addresses(parsed.cc),
            Bcc: addresses(parsed.bcc),
            ReplyTo: addresses(parsed.replyTo),
            ReturnPath: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            Subject: parsed.subject ?? '',
            Date: parsed.date ?? new Date(),
            Text: parsed.text ?? '',
            HTML: typeof parsed.html === 'string' ? parsed.html : '',
            Size: raw.length,
            Raw: raw,
          });
          callback();
        }, (e: unknown) => {
          opts.log.warn('could not parse a message', { error: String(e) });
          callback(e instanceof Error ? e : new Error(String(e)));
        });
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new PortInUseError(opts.port, 'mail catcher SMTP') : e));
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', (e) => opts.log.warn('smtp error', { error: String(e) }));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
