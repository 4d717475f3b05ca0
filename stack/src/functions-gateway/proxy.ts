import http from 'node:http';
import { Readable } from 'node:stream';
import type { FunctionDef } from './config.ts';
import { FUNCTION_ERRORS, type FunctionLimits } from './limits.ts';
import { errorFor, functionError } from './respond.ts';
import { BootError, type FunctionWorker } from './worker.ts';
import type { WorkerPool } from './worker-pool.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
/** Statuses a `Response` cannot carry a body with. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** The worker's response headers, hop-by-hop dropped, repeated ones (Set-Cookie) kept apart. */
function responseHeaders(up: http.IncomingMessage): Headers {
  const out = new Headers();
  for (let i = 0; i + 1 < up.rawHeaders.length; i += 2) {
    const name = up.rawHeaders[i]!;
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.append(name, up.rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * One request to the function's worker, streamed both ways: the request body is piped to the
 * worker as it arrives (size limit on the declared length and on the bytes streamed), the
 * worker's body is handed back as a stream the gateway writes as it comes (SSE, chunked), and
 * the upstream request is cut when the client goes away (`request.signal`) or stops reading
 * (the body stream is cancelled). The request idle timeout, hop-by-hop headers dropped both
 * ways, and the edge runtime's error answer when the worker fails to boot or dies under the
 * request.
 */
export async function proxy(pool: WorkerPool, limits: FunctionLimits, request: Request, fn: FunctionDef, rest: string, search: string): Promise<Response> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limits.maxBodyBytes) return functionError(FUNCTION_ERRORS.payloadTooLarge);

  let worker: FunctionWorker;
  try {
    worker = await pool.workerFor(fn);
  } catch (e) {
    if (e instanceof BootError) pool.logBootError(fn.name, e.message);
    return functionError(FUNCTION_ERRORS.bootError);
  }

  const headers: http.OutgoingHttpHeaders = {};
  request.headers.forEach((v, k) => { if (!HOP_BY_HOP.has(k)) headers[k] = v; });
  const track = worker.track();
  let finished = false;
  let stopListening = (): void => {};
  const done = (): void => { if (!finished) { finished = true; worker.untrack(track); stopListening(); } };

  return new Promise<Response>((resolve) => {
    let answered = false;
    /** The first answer wins; a later failure cuts the streaming body instead (upstream destroyed). */
    const answer = (r: Response): void => { if (!answered) { answered = true; resolve(r); } };
    const upstream = http.request({
      host: '127.0.0.1', port: worker.port, method: request.method, path: `/${fn.name}${rest}${search}`, headers, agent: worker.agent,
    });
    const cut = (): void => { upstream.destroy(); done(); };
    const idle = setTimeout(() => { cut(); answer(functionError(FUNCTION_ERRORS.gatewayTimeout)); }, limits.requestIdleTimeoutMs);

    upstream.on('response', (up) => {
      clearTimeout(idle);
      // 'close' follows the end of the body, its failure, or its cancellation alike.
      up.once('close', done);
      const status = up.statusCode ?? 502;
      if (NULL_BODY.has(status) || request.method === 'HEAD') {
        up.resume();
        answer(new Response(null, { status, headers: responseHeaders(up) }));
        return;
      }
      // Readable.toWeb: chunks are enqueued as they arrive (backpressure pauses `up`); a
      // cancel (client gone) destroys `up`, an error of `up` errors the stream (the gateway cuts the response).
      answer(new Response(Readable.toWeb(up) as ReadableStream<Uint8Array>, { status, headers: responseHeaders(up) }));
    });
    upstream.on('error', () => {
      clearTimeout(idle);
      if (finished) return;
      // The worker died under the request: answer with the reason once its exit is known.
      void Promise.race([worker.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000))])
        .then((reason) => { answer(functionError(errorFor(reason ?? worker.endReason))); done(); });
    });
    // Removed when the exchange ends: a listener left on the request's signal keeps the whole
    // exchange (upstream, buffers, the adapter's request) alive — ≈ 24 KB a request, measured.
    const onAbort = (): void => {
      clearTimeout(idle);
      cut();
      // Nobody reads this: the client is gone.
      answer(new Response(null, { status: 500 }));
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    stopListening = () => request.signal.removeEventListener('abort', onAbort);

    if (!request.body) { upstream.end(); return; }
    const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream<Uint8Array>);
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBodyBytes) {
        body.unpipe(upstream);
        body.destroy();
        clearTimeout(idle);
        cut();
        answer(functionError(FUNCTION_ERRORS.payloadTooLarge));
      }
    });
    // The client's upload broke off (its connection is gone): nobody reads the answer.
    body.on('error', () => { clearTimeout(idle); cut(); answer(new Response(null, { status: 400 })); });
    body.pipe(upstream);
  });
}
