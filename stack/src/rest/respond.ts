import { RestError } from './errors.ts';

/** A response as PostgREST builds it: status, ordered headers, body. */
export interface RestResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string | Buffer;
}

/**
 * Headers a browser may read, as PostgREST's own CORS middleware (wai-cors) exposes them
 * on a request with an Origin. Preflights and Access-Control-Allow-Origin are the
 * gateway's (Kong's cors plugin answers preflights before they reach PostgREST).
 */
const EXPOSED = 'Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit';

export function errorResponse(e: RestError): RestResponse {
  const body = JSON.stringify(e.body);
  const headers: Array<[string, string]> = [
    ['Content-Type', 'application/json; charset=utf-8'],
    ['Proxy-Status', `PostgREST; error=${e.body.code}`],
    ...Object.entries(e.headers),
  ];
  return { status: e.status, headers, body };
}

function corsHeaders(req: Request): Array<[string, string]> {
  return req.headers.has('origin') ? [['Access-Control-Expose-Headers', EXPOSED]] : [];
}

/**
 * The web Response: headers in PostgREST's order (a later one of the same name replaces the
 * earlier), Content-Length always (PostgREST's bodies are built whole), empty for HEAD.
 */
export function toResponse(req: Request, r: RestResponse): Response {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const names = new Map<string, string>();
  const add = (k: string, v: string): void => {
    const lower = k.toLowerCase();
    const existing = names.get(lower);
    if (existing === undefined) { names.set(lower, k); headers[k] = v; } else headers[existing] = v;
  };
  for (const [k, v] of r.headers) add(k, v);
  for (const [k, v] of corsHeaders(req)) if (!names.has(k.toLowerCase())) add(k, v);
  const head = req.method === 'HEAD';
  headers['Content-Length'] = head ? '0' : String(Buffer.byteLength(r.body));
  // Node's Buffers are ArrayBuffer-backed (never shared memory): no copy.
  const body = typeof r.body === 'string' ? r.body : r.body as Uint8Array<ArrayBuffer>;
  return new Response(head || r.body.length === 0 ? null : body, { status: r.status, headers });
}
