/**
 * One attempt: check the target again (its name may resolve elsewhere now), format
 * with the channel's kind, then POST it (signed afresh when the kind signs, with a
 * timeout, the answer read bounded) or, for email, hand it to SMTP or an HTTP mail
 * API. Never throws: every failure is an AttemptResult. Used by the worker and by the
 * channels function's `test` action.
 */
import { channelKind, type FormattedRequest, type HttpKind, type MailKind } from './kinds.ts';
import { sendSmtp, type SmtpSend } from './mail.ts';
import { DELIVERY, truncate, type AttemptResult } from './retry.ts';
import { signatureHeader } from './signature.ts';
import { addressLiteral, checkTarget, parseTargetUrl } from './target.ts';
import type { Notification } from './types.ts';

/** What one send needs: the channel's kind, URL, secret (and addresses), and the notification. */
export interface SendJob {
  kind: string;
  /** '' when the channel uses its kind's or the project's default. */
  url: string;
  secret: string;
  addresses?: string[];
  notification: Notification;
}

/** The project's mail settings (HOTWATCH_MAIL_URL, HOTWATCH_MAIL_API_KEY, HOTWATCH_MAIL_FROM). */
export interface MailSettings {
  url?: string;
  apiKey?: string;
  from?: string;
}

export interface SendDeps {
  /** A host name's addresses (A and AAAA); [] when it does not resolve. */
  resolveHost: (host: string) => Promise<string[]>;
  allowPrivateTargets: boolean;
  mail?: MailSettings;
  fetch?: typeof fetch;
  smtp?: SmtpSend;
  now?: () => number;
}

export const USER_AGENT = 'Hotwatch-Notifications/1.0';
export const DEFAULT_MAIL_FROM = 'Hotwatch <alerts@hotwatch.invalid>';

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length <= DELIVERY.maxStoredText) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return truncate(text);
}

type Checked = { ok: true; url: URL } | { ok: false; result: AttemptResult };

/** Parse and check a URL an org admin gave (the project's own settings are trusted). */
async function checked(raw: string, schemes: readonly string[] | undefined, deps: SendDeps): Promise<Checked> {
  const parsed = parseTargetUrl(raw, schemes);
  if (!parsed.ok) return { ok: false, result: { kind: 'refused', message: `channel URL unusable: ${parsed.message}` } };
  const literal = addressLiteral(parsed.host);
  const addresses = literal ? [literal] : await deps.resolveHost(parsed.host).catch(() => []);
  const target = checkTarget(parsed.host, addresses, deps.allowPrivateTargets);
  if (!target.ok) {
    return { ok: false, result: target.code === 'unresolvable' ? { kind: 'network', message: target.message } : { kind: 'refused', message: target.message } };
  }
  return { ok: true, url: parsed.url };
}

/** POST a formatted request; the kind (if any) explains a failed answer. */
async function post(url: URL, req: FormattedRequest, headers: Record<string, string>, deps: SendDeps, kind?: HttpKind): Promise<AttemptResult> {
  try {
    const res = await (deps.fetch ?? fetch)(url, {
      method: 'POST', headers: { ...req.headers, ...headers }, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY.sendTimeoutMs),
    });
    const body = await readBounded(res).catch(() => '');
    const failed = res.status < 200 || res.status >= 300;
    const detail = failed && kind?.explain && body ? truncate(kind.explain(body), 300) : undefined;
    return { kind: 'answer', status: res.status, retryAfter: res.headers.get('retry-after'), body, ...(detail ? { detail } : {}) };
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const message = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    // Runtimes name the URL in fetch errors; the log shows the origin only (a URL can be a credential).
    return { kind: 'network', message: message.replaceAll(url.href, url.origin) };
  }
}

async function sendHttp(kind: HttpKind, job: SendJob, deps: SendDeps): Promise<AttemptResult> {
  const raw = job.url || kind.defaultUrl || '';
  const target = await checked(raw, kind.schemes, deps);
  if (!target.ok) return target.result;
  const req = kind.format(job.notification, job.secret);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, 'Idempotency-Key': job.notification.idempotencyKey };
  if (kind.signed) headers['Hotwatch-Signature'] = await signatureHeader(job.secret, req.body, Math.floor((deps.now ?? Date.now)() / 1000));
  return post(target.url, req, headers, deps, kind);
}

async function sendEmail(kind: MailKind, job: SendJob, deps: SendDeps): Promise<AttemptResult> {
  const own = job.url !== '';
  const raw = own ? job.url : deps.mail?.url ?? '';
  if (!raw) return { kind: 'refused', message: 'No mail server: set the project secret HOTWATCH_MAIL_URL or the channel\'s url.' };
  let url: URL;
  if (own) {
    const target = await checked(raw, kind.schemes, deps);
    if (!target.ok) return target.result;
    url = target.url;
  } else {
    url = new URL(raw);
  }
  const to = job.addresses ?? [];
  if (to.length === 0) return { kind: 'refused', message: 'The channel has no addresses.' };
  const msg = kind.compose(job.notification);
  const from = deps.mail?.from || DEFAULT_MAIL_FROM;
  const key = job.notification.idempotencyKey;
  if (url.protocol === 'https:' || url.protocol === 'http:') {
    // An HTTP mail API (Resend's shape: POST {from, to, subject, text, html}, Bearer key, Idempotency-Key).
    const apiKey = (own ? job.secret : '') || deps.mail?.apiKey || '';
    const body = JSON.stringify({ from, to, subject: msg.subject, text: msg.text, html: msg.html });
    return post(url, { body, headers: { 'Content-Type': 'application/json' } },
      { 'User-Agent': USER_AGENT, 'Idempotency-Key': key, ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) }, deps);
  }
  return (deps.smtp ?? sendSmtp)(url.href, {
    ...msg, from, to, messageId: `<${key}@hotwatch.notifications>`, headers: { 'X-Hotwatch-Idempotency-Key': key },
  });
}

export async function sendAttempt(job: SendJob, deps: SendDeps): Promise<{ result: AttemptResult; latencyMs: number }> {
  const started = performance.now();
  const kind = channelKind(job.kind);
  const result: AttemptResult = !kind
    ? { kind: 'refused', message: `unknown channel kind ${job.kind}` }
    : kind.transport === 'mail' ? await sendEmail(kind, job, deps) : await sendHttp(kind, job, deps);
  return { result, latencyMs: performance.now() - started };
}
