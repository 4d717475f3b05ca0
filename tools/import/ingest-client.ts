/**
 * Sends one batch to `ingest-events` (fetch, as supabase-js `functions.invoke` does:
 * POST with the service key as both `apikey` and the bearer token) or, with a feed key,
 * to `ingest-feed` (the key as the bearer token only: the function is deployed with
 * verify_jwt = false and the key is not an API key). A network failure or 5xx is
 * retried with backoff — the idempotency key makes a resend safe; a 429 waits its
 * Retry-After (the feed key's rate limit: the import then runs at the allowed pace)
 * or backs off without one; any other refusal (401, 403, 404, 413…) stops the import
 * with the server's message.
 */
import type { IngestEvent, IngestResult } from '../../functions/_shared/contract.ts';

export interface Target {
  url: string;
  /** The service role key (ingest-events) or a feed key (ingest-feed). */
  key: string;
  via: 'ingest-events' | 'ingest-feed';
}

/** Waits on Retry-After are capped (a limit of one request a minute still progresses). */
const MAX_RETRY_AFTER_S = 120;

export interface BatchAnswer {
  accepted: number;
  duplicate: number;
  /** Per event index, why the server refused it. */
  rejected: Map<number, string>;
  /** Events outside the org's area, when the server reports it (org settings). */
  outsideArea: number;
}

export class ImportStopped extends Error {
  override name = 'ImportStopped';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sendBatch(t: Target, orgId: string, events: IngestEvent[], retries = 5): Promise<BatchAnswer> {
  const fn = t.via;
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` };
  if (fn === 'ingest-events') headers['apikey'] = t.key;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${t.url.replace(/\/$/, '')}/functions/v1/${fn}`, {
        method: 'POST', headers, body: JSON.stringify({ org_id: orgId, events }),
      });
    } catch (e) {
      if (attempt >= retries) throw new ImportStopped(`cannot reach ${t.url}: ${e instanceof Error ? e.message : String(e)}`);
      await sleep(500 * 2 ** attempt);
      continue;
    }
    const text = await res.text();
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status === 429 && Number.isFinite(retryAfter) && retryAfter > 0) {
      // Rate limited: not a failure, so the retry budget is not spent.
      attempt--;
      await sleep(Math.min(retryAfter, MAX_RETRY_AFTER_S) * 1000);
      continue;
    }
    if (res.status === 429 || res.status >= 500) {
      if (attempt >= retries) throw new ImportStopped(`${fn} answered ${res.status}: ${text.slice(0, 300)}`);
      await sleep(500 * 2 ** attempt);
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ImportStopped(`${fn} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
    }
    if (res.status !== 200) {
      const err = (body as { error?: { code?: string; message?: string } }).error;
      throw new ImportStopped(`${fn} refused the batch (${res.status} ${err?.code ?? ''}): ${err?.message ?? text.slice(0, 300)}`);
    }
    const r = body as IngestResult & { outside_area?: unknown };
    const rejected = new Map<number, string>();
    for (const e of r.errors) rejected.set(e.index, [rejected.get(e.index), `${e.path}: ${e.message}`].filter(Boolean).join('; '));
    if (r.errors_truncated || rejected.size !== r.rejected) {
      throw new ImportStopped(`${fn} reported ${r.rejected} rejections but listed ${rejected.size}; use a smaller --batch`);
    }
    return { accepted: r.accepted, duplicate: r.duplicate, rejected, outsideArea: typeof r.outside_area === 'number' ? r.outside_area : 0 };
  }
}
