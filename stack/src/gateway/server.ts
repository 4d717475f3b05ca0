import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import { PortInUseError } from '../postgres/embedded.ts';
import { answerPreflight, applyCorsHeaderFilter, isPreflight } from './cors.ts';
import { normalizeApiKeyHeaders } from './keys.ts';
import type { StackKeys } from '../keys.ts';

/** A service mounted under a path prefix (e.g. /rest/v1), as Kong routes for Supabase. */
export interface HttpMount {
  /** Path prefix without trailing slash, e.g. "/rest/v1". */
  prefix: string;
  /** Handle a request; `subpath` is the path after the prefix (always starts with "/"). */
  handle(req: IncomingMessage, res: ServerResponse, subpath: string): void | Promise<void>;
  /** Handle a WebSocket upgrade under this prefix. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void;
  /** Map opaque sb_publishable_/sb_secret_ keys to JWTs before the handler (default true). */
  mapKeys?: boolean;
  /** Kong's `cors` plugin on this route, as the CLI's kong.yml has it on every service (default true). */
  cors?: boolean;
}

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

/** Longest-prefix match on a path boundary. */
function findMount(mounts: HttpMount[], pathname: string): { mount: HttpMount; subpath: string } | undefined {
  let best: HttpMount | undefined;
  for (const m of mounts) {
    if ((pathname === m.prefix || pathname.startsWith(m.prefix + '/')) && (!best || m.prefix.length > best.prefix.length)) best = m;
  }
  if (!best) return undefined;
  const rest = pathname.slice(best.prefix.length);
  return { mount: best, subpath: rest === '' ? '/' : rest };
}

/**
 * One HTTP server on 127.0.0.1:54321 that services mount onto, as Supabase's Kong
 * gateway does: /rest/v1, /auth/v1, /realtime/v1, /functions/v1 (and /dashboard).
 * CORS is answered here once for every Kong service (cors.ts), not by the services.
 */
export async function startGateway(opts: { host: string; port: number; keys: StackKeys; log: Logger }): Promise<Gateway> {
  const mounts: HttpMount[] = [];
  const { log } = opts;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
    const found = findMount(mounts, url.pathname);
    if (!found) return sendJson(res, 404, { message: 'no Route matched with those values' });
    if (found.mount.cors !== false) {
      if (isPreflight(req)) return answerPreflight(req, res);
      applyCorsHeaderFilter(res);
    }
    if (found.mount.mapKeys !== false) normalizeApiKeyHeaders(req, opts.keys);
    Promise.resolve(found.mount.handle(req, res, found.subpath)).catch((e: unknown) => {
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
