import type { Logger } from '../log.ts';
import type { InternalDb } from '../postgres/internal-db.ts';

/** Named limits of the pg_net worker (pg_net's GUC defaults). */
export const NET_LIMITS = {
  /** pg_net.batch_size: requests taken from the queue per round. */
  batchSize: 200,
  /** pg_net.ttl: responses older than this are deleted. */
  ttlMs: 6 * 60 * 60 * 1000,
  /** Poll the queue this often besides the commit-time NOTIFY. */
  pollIntervalMs: 1_000,
  /** Bodies above this size are truncated in net._http_response.content. */
  maxResponseBytes: 8 * 1024 * 1024,
};

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown> | null;
  body: Buffer | null;
  timeout_milliseconds: number;
}

export interface NetWorker {
  /** Process the queue now; resolves when this round's responses are stored (tests). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The pg_net background worker, in the stack. Requests become visible (and the
 * net.wake() NOTIFY arrives) only when the queuing transaction commits, so nothing is
 * sent for a rolled-back transaction. Each round deletes up to batch_size queue rows
 * and sends them concurrently; every outcome is one net._http_response row with the
 * request's id (status, headers, body, or timed_out / error_msg).
 */
export async function startNetWorker(opts: { db: InternalDb; log: Logger }): Promise<NetWorker> {
  const { db, log } = opts;
  let stopped = false;
  let round: Promise<void> | undefined;
  let again = false;
  const sending = new Set<Promise<void>>();
  let lastWarn = 0;
  /** While PostgreSQL restarts every round fails; say so every 10 s, not every second. */
  const warnRound = (e: unknown): void => {
    if (Date.now() - lastWarn < 10_000) return;
    lastWarn = Date.now();
    log.warn('pg_net: round failed', { error: String(e) });
  };

  const present = async (): Promise<boolean> =>
    (await db`select to_regclass('net.http_request_queue') is not null as ok`)[0]?.ok === true;

  async function processQueue(): Promise<void> {
    if (!(await present())) return;
    for (;;) {
      const batch = await db<QueuedRequest>`
        delete from net.http_request_queue
         where id in (select id from net.http_request_queue order by id limit ${NET_LIMITS.batchSize} for update skip locked)
        returning id::text, method, url, headers, body, timeout_milliseconds`;
      if (batch.length === 0) return;
      await Promise.all(batch.map((r) => {
        const p = send(r).finally(() => sending.delete(p));
        sending.add(p);
        return p;
      }));
      if (batch.length < NET_LIMITS.batchSize) return;
    }
  }

  async function send(r: QueuedRequest): Promise<void> {
    const started = performance.now();
    const headers = new Headers();
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== null && v !== undefined) headers.set(k, String(v));
    let row: { status: number | null; contentType: string | null; headers: Record<string, string> | null;
      content: string | null; timedOut: boolean; error: string | null };
    try {
      const res = await fetch(r.url, {
        method: r.method.toUpperCase(),
        headers,
        body: r.body && r.body.length > 0 ? new Uint8Array(r.body) : undefined,
        signal: AbortSignal.timeout(r.timeout_milliseconds),
        redirect: 'follow',
      });
      const buf = Buffer.from(await res.arrayBuffer());
      const h: Record<string, string> = {};
      res.headers.forEach((v, k) => { h[k] = v; });
      row = { status: res.status, contentType: res.headers.get('content-type'), headers: h,
        content: buf.subarray(0, NET_LIMITS.maxResponseBytes).toString('utf8'), timedOut: false, error: null };
    } catch (e) {
      const elapsed = performance.now() - started;
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      row = { status: null, contentType: null, headers: null, content: null, timedOut,
        error: timedOut ? `Timeout of ${r.timeout_milliseconds} ms reached. Total time: ${elapsed.toFixed(6)} ms`
          : curlLikeMessage(e) };
    }
    await db`insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
              values (${r.id}, ${row.status}, ${row.contentType}, ${row.headers === null ? null : JSON.stringify(row.headers)}::jsonb,
                      ${row.content}, ${row.timedOut}, ${row.error})`;
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (round) { again = true; return round; }
    round = (async () => {
      do {
        again = false;
        await processQueue().catch(warnRound);
      } while (again && !stopped);
    })().finally(() => { round = undefined; });
    return round;
  }

  // Re-established by itself after a PostgreSQL restart; the poll covers the gap.
  const listener = db.listen('pg_net_wake', () => { void kick(); });
  const poll = setInterval(() => { void kick(); }, NET_LIMITS.pollIntervalMs);
  const ttl = setInterval(() => {
    void db`delete from net._http_response where created < now() - ${`${NET_LIMITS.ttlMs} milliseconds`}::interval`
      .catch(() => {});
  }, 60_000);
  void kick();

  return {
    drain: kick,
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearInterval(ttl);
      await listener.unlisten();
      await Promise.race([Promise.allSettled([round, ...sending]), new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}

/** libcurl's wording for the failures pg_net reports most (curl_easy_strerror). */
function curlLikeMessage(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case 'ECONNREFUSED': return "Couldn't connect to server";
    case 'ENOTFOUND': case 'EAI_AGAIN': return "Couldn't resolve host name";
    case 'ECONNRESET': return 'Failure when receiving data from the peer';
    default: return cause?.message ?? (e instanceof Error ? e.message : String(e));
  }
}
