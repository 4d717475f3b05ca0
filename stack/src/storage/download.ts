import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { FileStore } from './files.ts';
import { invalidRange, resourceNotFound } from './errors.ts';
import { parseRange } from './range.ts';

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
  req: IncomingMessage, res: ServerResponse, files: FileStore, id: string, md: ObjectMetadata, query: URLSearchParams,
  /** A signed URL's expiry: sent as `Expires` instead of the object's Cache-Control, as Storage does. */
  expires?: Date,
): Promise<void> {
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
  if (req.headers['if-none-match'] === md.eTag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, md.size);
  if (range.kind === 'unsatisfiable') {
    const body = JSON.stringify(invalidRange().render());
    res.writeHead(416, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-range': `bytes */${md.size}`, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  const partial = range.kind === 'partial';
  const start = partial ? range.start : 0;
  const end = partial ? range.end : md.size - 1;
  headers['content-length'] = String(Math.max(0, end - start + 1));
  if (partial) headers['content-range'] = `bytes ${start}-${end}/${md.size}`;
  const body = req.method === 'HEAD' || md.size === 0 ? undefined : await files.open(id, { start, end });
  if (body === undefined && req.method !== 'HEAD' && md.size > 0) throw resourceNotFound();
  res.writeHead(partial ? 206 : 200, headers);
  if (!body) { res.end(); return; }
  await pipeline(body, res);
}
