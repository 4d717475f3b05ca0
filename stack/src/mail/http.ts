import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { PortInUseError } from '../postgres/embedded.ts';
import { inboxPage, messagePage } from './web.ts';
import { messageJson, searchFilter, type MailStore } from './store.ts';

export const MAIL_HTTP_LIMITS = {
  /** Mailpit's default page size for GET /api/v1/messages. */
  defaultPageSize: 50,
  maxBodyBytes: 64 * 1024,
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
const json = (res: ServerResponse, status: number, body: unknown): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
const text = (res: ServerResponse, status: number, body: string): void => send(res, status, 'text/plain; charset=utf-8', body);

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAIL_HTTP_LIMITS.maxBodyBytes) throw new Error('body too large');
    chunks.push(c);
  }
  const s = Buffer.concat(chunks).toString('utf8').trim();
  return s === '' ? undefined : JSON.parse(s) as unknown;
}

function intParam(v: string | null, fallback: number): number {
  const n = v === null ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/**
 * The catcher's HTTP side on its own port (the CLI's Mailpit: 54324): the subset of
 * Mailpit's API v1 that tests and tools use — GET /api/v1/messages, GET/raw
 * /api/v1/message/{ID} (ID or "latest"), DELETE /api/v1/messages, GET/DELETE
 * /api/v1/search?query= — and a web page.
 */
export function createMailHttp(store: MailStore): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mail');
    const p = url.pathname;
    const method = req.method ?? 'GET';
    void (async () => {
      if (p === '/api/v1/messages' && method === 'GET') {
        return json(res, 200, store.list(intParam(url.searchParams.get('start'), 0), intParam(url.searchParams.get('limit'), MAIL_HTTP_LIMITS.defaultPageSize)));
      }
      if (p === '/api/v1/search' && (method === 'GET' || method === 'DELETE')) {
        const filter = searchFilter(url.searchParams.get('query') ?? '');
        if (method === 'DELETE') {
          store.deleteIds(store.all().filter(filter).map((m) => m.ID));
          return text(res, 200, 'ok');
        }
        return json(res, 200, store.list(intParam(url.searchParams.get('start'), 0), intParam(url.searchParams.get('limit'), MAIL_HTTP_LIMITS.defaultPageSize), filter));
      }
      if (p === '/api/v1/messages' && method === 'DELETE') {
        // Mailpit: {"IDs": [...]} deletes those, no IDs deletes all; answers "ok".
        const body = await readJson(req).catch(() => null);
        if (body === null) return text(res, 400, 'invalid JSON');
        const ids = (body as { IDs?: unknown } | undefined)?.IDs;
        if (Array.isArray(ids) && ids.length > 0) store.deleteIds(ids.map(String));
        else store.deleteAll();
        return text(res, 200, 'ok');
      }
      const one = /^\/api\/v1\/message\/([^/]+)(\/raw)?$/.exec(p);
      if (one?.[1] && method === 'GET') {
        const m = store.get(decodeURIComponent(one[1]));
        if (!m) return text(res, 404, 'message not found');
        if (one[2]) return send(res, 200, 'text/plain; charset=utf-8', m.Raw);
        m.Read = true; // Mailpit marks a message read when it is fetched
        return json(res, 200, messageJson(m));
      }
      if (method === 'GET' && p === '/') return send(res, 200, 'text/html; charset=utf-8', inboxPage(store.all()));
      const view = /^\/view\/([^/]+?)(\.html)?$/.exec(p);
      if (view?.[1] && method === 'GET') {
        const m = store.get(decodeURIComponent(view[1]));
        if (!m) return text(res, 404, 'message not found');
        m.Read = true;
        return send(res, 200, 'text/html; charset=utf-8', view[2] ? m.HTML : messagePage(m));
      }
      return text(res, 404, 'not found');
    })().catch((e: unknown) => { if (!res.headersSent) text(res, 500, String(e)); });
  });
}

export async function listenMailHttp(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new PortInUseError(port, 'mail catcher web') : e));
    server.listen(port, host, () => resolve());
  });
  const a = server.address();
  return typeof a === 'object' && a ? a.port : port;
}
