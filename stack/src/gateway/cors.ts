import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Kong's `cors` plugin with no configuration, as the Supabase CLI's kong.yml puts it on
 * every service (rest, auth, realtime, storage, functions, graphql, analytics)
 * — kong/plugins/cors/handler.lua, Kong 2.8:
 *
 * - access: an OPTIONS request with `Origin` and `Access-Control-Request-Method` is a
 *   preflight and never reaches the service: 200, empty body, `Access-Control-Allow-Origin: *`
 *   (no origins configured), `Access-Control-Allow-Headers` echoing
 *   `Access-Control-Request-Headers` (absent when not requested),
 *   `Access-Control-Allow-Methods` = the default list; no credentials, no max-age, and
 *   no `Vary: Origin` for `*` (dropped in 2.8.0).
 * - header_filter: every other response gets `Access-Control-Allow-Origin: *`, set over
 *   whatever the service sent (with or without an `Origin`: skipping it when absent only
 *   came in 3.10); the service's other CORS headers (Expose-Headers…) pass through.
 */

export const KONG_DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && header(req, 'origin') !== undefined && header(req, 'access-control-request-method') !== undefined;
}

/** The preflight answer (kong.response.exit(200) after the plugin's set_header calls). */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = { 'Access-Control-Allow-Origin': '*' };
  const requested = header(req, 'access-control-request-headers');
  if (requested !== undefined) out['Access-Control-Allow-Headers'] = requested;
  out['Access-Control-Allow-Methods'] = KONG_DEFAULT_METHODS;
  out['Content-Length'] = '0';
  return out;
}

export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(200, preflightHeaders(req));
  res.end();
}

const ACAO = 'access-control-allow-origin';

/** Drop a service's own Access-Control-Allow-Origin from headers passed to writeHead. */
function withoutOrigin(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    // Node's raw form: [k, v, k, v, …].
    const flat: unknown[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() !== ACAO) flat.push(headers[i], headers[i + 1]);
    return flat;
  }
  if (headers && typeof headers === 'object') {
    return Object.fromEntries(Object.entries(headers as OutgoingHttpHeaders).filter(([k]) => k.toLowerCase() !== ACAO));
  }
  return headers;
}

/** header_filter: `Access-Control-Allow-Origin: *` on the response, whatever the service set. */
export function applyCorsHeaderFilter(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  // Node's implicit headers (res.end without writeHead) also go through this.writeHead.
  res.writeHead = ((...args: unknown[]): ServerResponse => {
    const last = args.length - 1;
    if (last >= 1 && typeof args[last] === 'object' && args[last] !== null) args[last] = withoutOrigin(args[last]);
    res.setHeader('Access-Control-Allow-Origin', '*');
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
}
