import { FUNCTION_ERRORS, type FunctionError } from './limits.ts';
import type { EndReason } from './worker.ts';

/** The gateway's own JSON answers (the edge runtime's bodies, `content-type: application/json`). */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function functionError(e: FunctionError): Response {
  return jsonResponse(e.status, { code: e.code, message: e.message });
}

/** The edge runtime's error for a worker that ended under a request. */
export function errorFor(reason: EndReason | undefined): FunctionError {
  if (reason === 'cpu' || reason === 'memory' || reason === 'wallclock') return FUNCTION_ERRORS.workerLimit;
  if (reason === 'boot') return FUNCTION_ERRORS.bootError;
  return FUNCTION_ERRORS.workerError;
}
