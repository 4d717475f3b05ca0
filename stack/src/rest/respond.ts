import type { IncomingMessage, ServerResponse } from 'node:http';
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

export function corsHeaders(req: IncomingMessage): Array<[string, string]> {
  return req.headers.origin === undefined ? [] : [['Access-Control-Expose-Headers', EXPOSED]];
}

export function send(req: IncomingMessage, res: ServerResponse, r: RestResponse): void {
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const add = (k: string, v: string): void => {
    const existing = Object.keys(headers).find((h) => h.toLowerCase() === k.toLowerCase());
    if (existing === undefined) headers[k] = v;
    else headers[existing] = v;
  };
  for (const [k, v] of r.headers) add(k, v);
  for (const [k, v] of corsHeaders(req)) if (!Object.keys(headers).some((h) => h.toLowerCase() === k.toLowerCase())) add(k, v);
  const body = req.method === 'HEAD' ? '' : r.body;
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(r.status, headers);
  res.end(body);
}
