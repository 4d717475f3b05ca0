/**
 * One attempt over HTTP: check the target again (its name may resolve elsewhere now),
 * format with the channel's kind, sign afresh, POST with a timeout, read the answer
 * (bounded). Never throws: every failure is an AttemptResult. Used by the worker and
 * by the channels function's `test` action.
 */
import { channelKind } from './kinds.ts';
import { DELIVERY, truncate, type AttemptResult } from './retry.ts';
import { signatureHeader } from './signature.ts';
import { addressLiteral, checkTarget, parseTargetUrl } from './target.ts';
import type { Notification } from './types.ts';

/** What one send needs: the channel's kind, URL and secret, and the notification. */
export interface SendJob {
  kind: string;
  url: string;
  secret: string;
  notification: Notification;
}

export interface SendDeps {
  /** A host name's addresses (A and AAAA); [] when it does not resolve. */
  resolveHost: (host: string) => Promise<string[]>;
  allowPrivateTargets: boolean;
  fetch?: typeof fetch;
  now?: () => number;
}

export const USER_AGENT = 'Hotwatch-Notifications/1.0';

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

export async function sendAttempt(job: SendJob, deps: SendDeps): Promise<{ result: AttemptResult; latencyMs: number }> {
  const started = performance.now();
  const done = (result: AttemptResult) => ({ result, latencyMs: performance.now() - started });
  const kind = channelKind(job.kind);
  if (!kind) return done({ kind: 'refused', message: `unknown channel kind ${job.kind}` });
  const parsed = parseTargetUrl(job.url);
  if (!parsed.ok) return done({ kind: 'refused', message: `channel URL unusable: ${parsed.message}` });
  const literal = addressLiteral(parsed.host);
  const addresses = literal ? [literal] : await deps.resolveHost(parsed.host).catch(() => []);
  const target = checkTarget(parsed.host, addresses, deps.allowPrivateTargets);
  if (!target.ok) {
    return done(target.code === 'unresolvable' ? { kind: 'network', message: target.message } : { kind: 'refused', message: target.message });
  }
  const req = kind.format(job.notification, job.secret);
  const headers: Record<string, string> = { ...req.headers, 'User-Agent': USER_AGENT, 'Idempotency-Key': job.notification.idempotencyKey };
  if (kind.signed) headers['Hotwatch-Signature'] = await signatureHeader(job.secret, req.body, Math.floor((deps.now ?? Date.now)() / 1000));
  try {
    const res = await (deps.fetch ?? fetch)(parsed.url, {
      method: 'POST', headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(DELIVERY.sendTimeoutMs),
    });
    const latencyMs = performance.now() - started;
    const body = await readBounded(res).catch(() => '');
    return { result: { kind: 'answer', status: res.status, retryAfter: res.headers.get('retry-after'), body }, latencyMs };
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return done({ kind: 'timeout' });
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const message = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    // Runtimes name the URL in fetch errors; the log shows the origin only (a URL can be a credential).
    return done({ kind: 'network', message: message.replaceAll(job.url, parsed.url.origin).replaceAll(parsed.url.href, parsed.url.origin) });
  }
}
