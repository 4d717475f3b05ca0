import { badRequest, entityTooLarge } from './errors.ts';

/** Past this many bytes beyond a limit the connection is cut instead of drained. */
const DRAIN_CAP = 8 * 1024 * 1024;

/**
 * The request body, refused with Storage's EntityTooLarge once it passes `limit` bytes.
 * The rest is drained first (up to DRAIN_CAP; past it the stream is cancelled and the
 * gateway's adapter cuts the connection) so the client reads the error instead of a reset.
 */
export async function readBody(request: Request, limit: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let c = await reader.read(); !c.done; c = await reader.read()) {
    size += c.value.byteLength;
    if (size > limit + DRAIN_CAP) { await reader.cancel().catch(() => undefined); throw entityTooLarge(); }
    if (size <= limit) chunks.push(c.value);
  }
  if (size > limit) throw entityTooLarge();
  return Buffer.concat(chunks);
}

/** A JSON object body (bucket and list requests); Fastify's wording for the bad ones. */
export async function readJson(request: Request): Promise<Record<string, unknown>> {
  const raw = await readBody(request, 1024 * 1024);
  if (raw.length === 0) return {};
  let v: unknown;
  try { v = JSON.parse(raw.toString('utf8')); } catch { throw badRequest('Body is not valid JSON'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('body must be object');
  return v as Record<string, unknown>;
}

export interface UploadPayload {
  bytes: Buffer;
  mimetype: string;
  cacheControl: string;
  userMetadata: Record<string, unknown> | null;
}

function cacheControlOf(v: string | undefined): string {
  if (v === undefined || v === '') return 'no-cache';
  return /^\d+$/.test(v) ? `max-age=${v}` : v;
}

function parseMetadata(text: string | undefined, base64: boolean): Record<string, unknown> | null {
  if (text === undefined || text === '') return null;
  try {
    const v: unknown = JSON.parse(base64 ? Buffer.from(text, 'base64').toString('utf8') : text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    throw badRequest('Invalid metadata');
  }
}

/**
 * An upload as storage-js sends it: multipart/form-data (a Blob/File: the file part,
 * `cacheControl` and `metadata` fields) or the raw bytes with `content-type`,
 * `cache-control` and base64 `x-metadata` headers.
 */
export async function parseUpload(request: Request, raw: Buffer): Promise<UploadPayload> {
  const contentType = request.headers.get('content-type') ?? '';
  if (/^multipart\/form-data/i.test(contentType)) {
    let form: FormData;
    try {
      form = await new Request('http://storage/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) }).formData();
    } catch {
      throw badRequest('Invalid multipart body');
    }
    let file: Blob | undefined;
    for (const [, v] of form.entries()) if (typeof v !== 'string') { file = v; break; }
    if (!file) throw badRequest('No file provided');
    const cc = form.get('cacheControl');
    const md = form.get('metadata');
    return {
      bytes: Buffer.from(await file.arrayBuffer()),
      mimetype: file.type || 'application/octet-stream',
      cacheControl: cacheControlOf(typeof cc === 'string' ? cc : undefined),
      userMetadata: parseMetadata(typeof md === 'string' ? md : undefined, false),
    };
  }
  return {
    bytes: raw,
    mimetype: contentType || 'application/octet-stream',
    cacheControl: cacheControlOf(request.headers.get('cache-control') ?? undefined),
    userMetadata: parseMetadata(request.headers.get('x-metadata') ?? undefined, true),
  };
}
