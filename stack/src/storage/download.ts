import { Readable } from 'node:stream';
import type { FileStore } from './files.ts';
import { invalidRange, resourceNotFound } from './errors.ts';
import { parseRange } from './range.ts';
import { json } from './context.ts';

/** The `metadata` Storage keeps on storage.objects for each upload. */
export interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

/**
 * An object's bytes as Storage's getObject answers (src/storage/object.ts + file backend):
 * Content-Type/Cache-Control/ETag/Last-Modified from the metadata, `If-None-Match` → 304,
 * one `Range` → 206 with Content-Range, a range past the end → 416 (`bytes *\/size`),
 * HEAD without the body, `?download[=name]` → Content-Disposition as Storage's renderer
 * (src/storage/renderer/renderer.ts) writes it.
 */
export async function sendObject(
  request: Request, files: FileStore, id: string, md: ObjectMetadata, query: URLSearchParams,
  /** A signed URL's expiry: sent as `Expires` instead of the object's Cache-Control, as Storage does. */
  expires?: Date,
): Promise<Response> {
  const headers: Record<string, string> = {
    // Storage's renderer never serves text/html as such (no stored-XSS through a bucket).
    'content-type': md.mimetype.includes('text/html') ? 'text/plain' : md.mimetype,
    ...(expires ? { expires: expires.toUTCString() } : { 'cache-control': md.cacheControl }),
    etag: md.eTag,
    'last-modified': md.lastModified,
    'accept-ranges': 'bytes',
    'access-control-expose-headers': 'content-range, content-length, etag, accept-ranges, last-modified, content-type',
  };
  const download = query.get('download');
  if (download !== null) {
    const name = encodeURIComponent(download);
    headers['content-disposition'] = download === '' ? 'attachment;' : `attachment; filename=${name}; filename*=UTF-8''${name};`;
  }
  if (request.headers.get('if-none-match') === md.eTag) return new Response(null, { status: 304, headers });
  const range = parseRange(request.headers.get('range') ?? undefined, md.size);
  if (range.kind === 'unsatisfiable') {
    return json(416, invalidRange().render(), { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-range': `bytes */${md.size}` });
  }
  const partial = range.kind === 'partial';
  const start = partial ? range.start : 0;
  const end = partial ? range.end : md.size - 1;
  headers['content-length'] = String(Math.max(0, end - start + 1));
  if (partial) headers['content-range'] = `bytes ${start}-${end}/${md.size}`;
  const body = request.method === 'HEAD' || md.size === 0 ? undefined : await files.open(id, { start, end });
  if (body === undefined && request.method !== 'HEAD' && md.size > 0) throw resourceNotFound();
  // The file streamed as it is read (a cancel — client gone — destroys the file stream).
  const stream = body ? Readable.toWeb(body) as ReadableStream<Uint8Array> : null;
  return new Response(stream, { status: partial ? 206 : 200, headers });
}
