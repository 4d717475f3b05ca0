import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import { PortInUseError } from '../postgres/embedded.ts';
import { answerPreflight, applyCorsHeaderFilter, isPreflight } from './cors.ts';
import { normalizeApiKeyHeaders, normalizeApiKeyQuery } from './keys.ts';
import type { StackKeys } from '../keys.ts';
import { findMount, type HttpMount } from './mount.ts';
import { fetchMountListener } from './node-adapter.ts';

export type { HttpMount } from './mount.ts';

export interface Gateway {
  server: http.Server;
  url: string;
  mount(m: HttpMount): void;
  hasMount(prefix: string): boolean;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * One HTTP server on 127.0.0.1:54321 that services mount onto, as Supabase's Kong
 * gateway does: /rest/v1, /auth/v1, /realtime/v1, /functions/v1 (and /dashboard).
 * CORS is answered here once for every Kong service (cors.ts), not by the services.
 */
export async function startGateway(opts: { host: string; port: number; keys: StackKeys; log: Logger }): Promise<Gateway> {
  const mounts: HttpMount[] = [];
  const { log } = opts;
  const fetchListener = fetchMountListener(mounts, opts.keys, log);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
    const found = findMount(mounts, url.pathname);
    if (!found) return sendJson(res, 404, { message: 'no Route matched with those values' });
    if (found.mount.cors !== false) {
      if (isPreflight(req)) return answerPreflight(req, res);
      applyCorsHeaderFilter(res);
    }
    const { mount } = found;
    if (mount.fetch) {
      if (mount.mapKeys !== false) normalizeApiKeyQuery(req, opts.keys);
      void fetchListener(req, res);
      return;
    }
    if (!mount.handle) return sendJson(res, 404, { message: 'no Route matched with those values' });
    if (mount.mapKeys !== false) normalizeApiKeyHeaders(req, opts.keys);
    Promise.resolve(mount.handle(req, res, found.subpath)).catch((e: unknown) => {
      log.error('unhandled error in mount', { prefix: found.mount.prefix, error: String(e) });
      if (!res.headersSent) sendJson(res, 500, { message: 'An invalid response was received from the upstream server' });
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const found = findMount(mounts, url.pathname);
    if (!found?.mount.upgrade) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (found.mount.mapKeys !== false) normalizeApiKeyHeaders(req, opts.keys);
    found.mount.upgrade(req, socket, head, found.subpath);
  });

  // Keep-alive sockets must not hold the process open on shutdown.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new PortInUseError(opts.port, 'API gateway') : e));
    server.listen(opts.port, opts.host, () => resolve());
  });

  return {
    server,
    url: `http://${opts.host}:${opts.port}`,
    mount: (m) => { mounts.push(m); },
    hasMount: (prefix) => mounts.some((m) => m.prefix === prefix),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
