/**
 * The hosted Edge Functions limits the gateway enforces (supabase.com/docs/guides/functions/limits,
 * and supabase/cli internal/functions/serve/templates/main.ts for the local values).
 */
export interface FunctionLimits {
  /** Maximum memory: V8 old space (--max-old-space-size) and resident growth after boot. */
  memoryMb: number;
  /** Worker wall clock: a worker stays active this long, then is replaced (paid plans: 400 s). */
  wallClockMs: number;
  /** CPU time per request: over the soft limit the worker is retired after the request... */
  cpuSoftMs: number;
  /** ...over the hard limit it is terminated at once (546 WORKER_LIMIT). */
  cpuHardMs: number;
  /** Request idle timeout: no response by then → 504 (hosted 150 s; local Kong read_timeout 150 s). */
  requestIdleTimeoutMs: number;
  /** Request body limit (hosted does not document one; ours keeps one function from buffering unbounded input). */
  maxBodyBytes: number;
  /** A worker that has not started serving by then is a boot error. */
  bootTimeoutMs: number;
  /** CPU/memory sampling period while requests are in flight. */
  sampleMs: number;
}

export const DEFAULT_FUNCTION_LIMITS: FunctionLimits = {
  memoryMb: 256,
  wallClockMs: 400_000,
  cpuSoftMs: 1_000,
  cpuHardMs: 2_000,
  requestIdleTimeoutMs: 150_000,
  maxBodyBytes: 20 * 1024 * 1024,
  bootTimeoutMs: 30_000,
  sampleMs: 20,
};

/** The edge runtime's own error answers (main.ts SB_SPECIFIC_ERROR_*), plus the gateway's. */
export const FUNCTION_ERRORS = {
  bootError: { status: 503, code: 'BOOT_ERROR', message: 'Worker failed to boot (please check logs)' },
  workerError: { status: 500, code: 'WORKER_ERROR', message: 'Function exited due to an error (please check logs)' },
  workerLimit: { status: 546, code: 'WORKER_LIMIT', message: 'Worker failed to respond due to a resource limit (please check logs)' },
  payloadTooLarge: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body exceeds the functions gateway limit' },
  gatewayTimeout: { status: 504, code: 'GATEWAY_TIMEOUT', message: 'The upstream server is timing out' },
} as const;
export type FunctionError = (typeof FUNCTION_ERRORS)[keyof typeof FUNCTION_ERRORS];
