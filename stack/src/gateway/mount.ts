import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** The client connection behind a request (what GoTrue's RemoteAddr is when no X-Forwarded-For). */
export interface MountPeer {
  remoteAddress?: string;
}

/**
 * A service mounted under a path prefix (e.g. /rest/v1), as Kong routes for Supabase.
 * A mount answers HTTP either web-standard (`fetch`: Request → Response, testable in-process
 * with `new Request(…)`; the gateway's one Node adapter serves it) or, until it moves, with
 * a Node `handle`. WebSocket upgrades stay Node (`upgrade`).
 */
export interface HttpMount {
  /** Path prefix without trailing slash, e.g. "/rest/v1". */
  prefix: string;
  /**
   * Web-standard handler; `subpath` is the path after the prefix (always starts with "/");
   * `peer` is the connection's far end as the adapter saw it (absent in-process).
   */
  fetch?(request: Request, subpath: string, peer?: MountPeer): Response | Promise<Response>;
  /** Node handler, for mounts without `fetch`. */
  handle?(req: IncomingMessage, res: ServerResponse, subpath: string): void | Promise<void>;
  /** Handle a WebSocket upgrade under this prefix. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void;
  /** Map opaque sb_publishable_/sb_secret_ keys to JWTs before the handler (default true). */
  mapKeys?: boolean;
  /** Kong's `cors` plugin on this route, as the CLI's kong.yml has it on every service (default true). */
  cors?: boolean;
  /**
   * The service reads the first of a repeated Authorization header, as PostgREST (Warp's
   * `lookup`), GoTrue (Go's `Header.Get`) and Storage (Node) do — not the ", "-joined value
   * a web `Headers` gives, which Deno's edge runtime sees (default true).
   */
  firstAuthorization?: boolean;
}

/** Longest-prefix match on a path boundary. */
export function findMount(mounts: readonly HttpMount[], pathname: string): { mount: HttpMount; subpath: string } | undefined {
  let best: HttpMount | undefined;
  for (const m of mounts) {
    if ((pathname === m.prefix || pathname.startsWith(m.prefix + '/')) && (!best || m.prefix.length > best.prefix.length)) best = m;
  }
  if (!best) return undefined;
  const rest = pathname.slice(best.prefix.length);
  return { mount: best, subpath: rest === '' ? '/' : rest };
}
