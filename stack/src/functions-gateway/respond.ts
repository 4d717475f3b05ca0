import type { ServerResponse } from 'node:http';
import { FUNCTION_ERRORS, type FunctionError } from './limits.ts';
import type { EndReason } from './worker.ts';

/** The gateway's own JSON answers (a response already streaming is cut instead). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendFunctionError(res: ServerResponse, e: FunctionError): void {
  sendJson(res, e.status, { code: e.code, message: e.message });
}

/** The edge runtime's error for a worker that ended under a request. */
export function errorFor(reason: EndReason | undefined): FunctionError {
  if (reason === 'cpu' || reason === 'memory' || reason === 'wallclock') return FUNCTION_ERRORS.workerLimit;
  if (reason === 'boot') return FUNCTION_ERRORS.bootError;
  return FUNCTION_ERRORS.workerError;
}
