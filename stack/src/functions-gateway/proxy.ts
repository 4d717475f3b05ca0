import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { FunctionDef } from './config.ts';
import { FUNCTION_ERRORS, type FunctionLimits } from './limits.ts';
import { errorFor, sendFunctionError } from './respond.ts';
import { BootError, type FunctionWorker } from './worker.ts';
import type { WorkerPool } from './worker-pool.ts';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * One request to the function's worker: body size limit (declared and streamed), the
 * request idle timeout, hop-by-hop headers dropped both ways, and the edge runtime's
 * error answer when the worker fails to boot or dies under the request.
 */
export async function proxy(pool: WorkerPool, limits: FunctionLimits, req: IncomingMessage, res: ServerResponse, fn: FunctionDef, rest: string, search: string): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBodyBytes) { req.resume(); return sendFunctionError(res, FUNCTION_ERRORS.payloadTooLarge); }

  let worker: FunctionWorker;
  try {
    worker = await pool.workerFor(fn);
  } catch (e) {
    if (e instanceof BootError) pool.logBootError(fn.name, e.message);
    req.resume();
    return sendFunctionError(res, FUNCTION_ERRORS.bootError);
  }

  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  const track = worker.track();
  let finished = false;
  const done = (): void => { if (!finished) { finished = true; worker.untrack(track); } };

  await new Promise<void>((resolve) => {
    const upstream = http.request({
      host: '127.0.0.1', port: worker.port, method: req.method, path: `/${fn.name}${rest}${search}`, headers, agent: worker.agent,
    });
    const idle = setTimeout(() => {
      upstream.destroy();
      sendFunctionError(res, FUNCTION_ERRORS.gatewayTimeout);
      done(); resolve();
    }, limits.requestIdleTimeoutMs);

    upstream.on('response', (up) => {
      clearTimeout(idle);
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
      up.on('end', () => { done(); resolve(); });
      up.on('error', () => { res.destroy(); done(); resolve(); });
    });
    upstream.on('error', () => {
      clearTimeout(idle);
      if (finished) return;
      // The worker died under the request: answer with the reason once its exit is known.
      void Promise.race([worker.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000))])
        .then((reason) => {
          sendFunctionError(res, errorFor(reason ?? worker.endReason));
          done(); resolve();
        });
    });
    res.on('close', () => { if (!res.writableFinished) { upstream.destroy(); done(); resolve(); } });

    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxBodyBytes) {
        req.unpipe(upstream);
        upstream.destroy();
        clearTimeout(idle);
        sendFunctionError(res, FUNCTION_ERRORS.payloadTooLarge);
        done(); resolve();
      }
    });
    req.pipe(upstream);
  });
}
