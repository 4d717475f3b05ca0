import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import type { StackKeys } from '../keys.ts';
import type { Logger } from '../log.ts';
import { normalizeApiKeyRequestHeaders } from './keys.ts';
import { findMount, type HttpMount } from './mount.ts';

/** Kong's answer when the upstream fails (as the Node mounts' catch-all gives). */
const UPSTREAM_FAILED = { message: 'An invalid response was received from the upstream server' };

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

/**
 * The gateway's one Node ⇄ fetch adapter: `@hono/node-server`'s request listener builds a
 * web `Request` from the IncomingMessage (body as a stream read on demand, `request.signal`
 * aborted when the client goes away) and writes the mount's `Response` back — a
 * `ReadableStream` body is piped as it comes, string/bytes bodies in one write, every
 * Set-Cookie kept apart. Routing, CORS and the URL's key mapping ran on the Node request
 * before (server.ts); the header key mapping runs here on the Request.
 */
export function fetchMountListener(mounts: readonly HttpMount[], keys: StackKeys, log: Logger): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return getRequestListener(async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const url = new URL(request.url);
    const found = findMount(mounts, url.pathname);
    if (!found?.mount.fetch) return json(404, { message: 'no Route matched with those values' });
    // Node's IncomingMessage keeps the first of a repeated Authorization header (HttpMount.firstAuthorization).
    const authorization = env.incoming.headers.authorization;
    if (found.mount.firstAuthorization !== false && authorization !== undefined && request.headers.get('authorization') !== authorization) {
      request.headers.set('authorization', authorization);
    }
    if (found.mount.mapKeys !== false) normalizeApiKeyRequestHeaders(request.headers, url.searchParams.get('apikey'), keys);
    try {
      return await found.mount.fetch(request, found.subpath, { remoteAddress: env.incoming.socket.remoteAddress });
    } catch (e) {
      log.error('unhandled error in mount', { prefix: found.mount.prefix, error: String(e) });
      return json(500, UPSTREAM_FAILED);
    }
  }) as (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}
