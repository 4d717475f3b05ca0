/**
 * A fetch mount's request body, refused (`tooLarge()` thrown) as soon as it passes `limit`,
 * without reading the rest. With a Content-Length within the limit it is read in one go (the
 * Node adapter's fast path, no stream; a body that does not match its length is an error
 * there), otherwise counted as it streams. Each service throws its own error shape.
 */
export async function readBodyWithin(req: Request, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = req.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared)) {
    if (Number(declared) > limit) throw tooLarge();
    return Buffer.from(await req.arrayBuffer());
  }
  if (req.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      void reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
