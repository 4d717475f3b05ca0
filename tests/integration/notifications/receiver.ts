/**
 * A local webhook receiver on 127.0.0.1 for the notification tests: answers each request
 * with the next scripted behaviour (then the default), records what it got. Bounded:
 * at most `maxRequests` requests are recorded and close() ends every connection.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer (a body and its type, e.g. Slack's "ok" or PagerDuty's JSON, default "answer <status>"), or misbehaviour. */
export type Behaviour = { status: number; retryAfter?: string; body?: string; type?: string } | 'hang' | 'close';

export interface Received {
  at: number;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: { event: string; alert: { id: number; state: string; severity: string } } & Record<string, unknown>;
}

export interface Receiver {
  url: string;
  got: Received[];
  /** Queue behaviours for the next requests. */
  script(...b: Behaviour[]): void;
  close(): Promise<void>;
}

export async function startReceiver(opts: { fallback?: Behaviour; maxRequests?: number; delayMs?: number } = {}): Promise<Receiver> {
  const queue: Behaviour[] = [];
  const got: Received[] = [];
  const max = opts.maxRequests ?? 200;
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (got.length < max) got.push({ at, headers: req.headers, raw, body: JSON.parse(raw) as Received['body'] });
      const b = queue.shift() ?? opts.fallback ?? { status: 200 };
      if (b === 'hang') return; // never answers; close() ends it
      if (b === 'close') { req.socket.destroy(); return; }
      setTimeout(() => {
        res.writeHead(b.status, { 'content-type': b.type ?? 'text/plain', ...(b.retryAfter ? { 'retry-after': b.retryAfter } : {}) });
        res.end(b.body ?? `answer ${b.status}`);
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    script: (...b) => { queue.push(...b); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
