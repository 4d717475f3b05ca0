import { contentTypeOf, type MediaType } from '../media.ts';
import type { ApiRequest } from '../request.ts';
import type { BodyHandler } from '../sql-builder.ts';

/** How the main query shapes its body for a negotiated media type. */
export function bodyHandlerFor(m: MediaType): BodyHandler {
  switch (m.kind) {
    case 'plan': return bodyHandlerFor(m.for);
    case 'csv': return { kind: 'csv' };
    case 'singular': return { kind: 'singular', strip: m.strip };
    case 'array-strip': return { kind: 'json', strip: true };
    default: return { kind: 'json', strip: false };
  }
}

export function isSingular(m: MediaType): boolean {
  return m.kind === 'singular';
}

/** Content-Type (and Content-Profile when negotiated by profile) for a body. */
export function contentHeaders(req: ApiRequest, m: MediaType): Array<[string, string]> {
  const h: Array<[string, string]> = [['Content-Type', contentTypeOf(m)]];
  if (req.negotiatedByProfile) h.push(['Content-Profile', req.schema]);
  return h;
}
