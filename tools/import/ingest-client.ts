/**
 * Sends one batch to `ingest-events` (fetch, as supabase-js `functions.invoke` does:
 * POST with the key as both `apikey` and the bearer token). A network failure, 429 or
 * 5xx is retried with backoff — the idempotency key makes a resend safe; any other
 * refusal (401, 403, 404, 413…) stops the import with the server's message.
 */
import type { IngestEvent, IngestResult } from '../../functions/_shared/contract.ts';

export interface Target {
  url: string;
  key: string;
}

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
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${t.url.replace(/\/$/, '')}/functions/v1/ingest-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', apikey: t.key, authorization: `Bearer ${t.key}` },
        body: JSON.stringify({ org_id: orgId, events }),
      });
    } catch (e) {
      if (attempt >= retries) throw new ImportStopped(`cannot reach ${t.url}: ${e instanceof Error ? e.message : String(e)}`);
      await sleep(500 * 2 ** attempt);
      continue;
    }
    const text = await res.text();
    if (res.status === 429 || res.status >= 500) {
      if (attempt >= retries) throw new ImportStopped(`ingest-events answered ${res.status}: ${text.slice(0, 300)}`);
      await sleep(500 * 2 ** attempt);
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ImportStopped(`ingest-events answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
    }
    if (res.status !== 200) {
      const err = (body as { error?: { code?: string; message?: string } }).error;
      throw new ImportStopped(`ingest-events refused the batch (${res.status} ${err?.code ?? ''}): ${err?.message ?? text.slice(0, 300)}`);
    }
    const r = body as IngestResult & { outside_area?: unknown };
    const rejected = new Map<number, string>();
    for (const e of r.errors) rejected.set(e.index, [rejected.get(e.index), `${e.path}: ${e.message}`].filter(Boolean).join('; '));
    if (r.errors_truncated || rejected.size !== r.rejected) {
      throw new ImportStopped(`ingest-events reported ${r.rejected} rejections but listed ${rejected.size}; use a smaller --batch`);
    }
    return { accepted: r.accepted, duplicate: r.duplicate, rejected, outsideArea: typeof r.outside_area === 'number' ? r.outside_area : 0 };
  }
}
