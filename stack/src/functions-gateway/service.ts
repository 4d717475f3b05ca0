import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import type { ServiceFactory, StackContext, StackService } from '../service-types.ts';
import { loadFunctions, type ExtraFunction, type FunctionDef } from './config.ts';
import { functionEnv } from './function-env.ts';
import { checkJwt } from './jwt-check.ts';
import { DEFAULT_FUNCTION_LIMITS, type FunctionLimits } from './limits.ts';
import { proxy } from './proxy.ts';
import { jsonResponse } from './respond.ts';
import type { FunctionWorker } from './worker.ts';
import { WorkerPool } from './worker-pool.ts';

export interface FunctionsGatewayOptions {
  /** Functions served besides supabase/config.toml's (test fixtures). */
  extraFunctions?: ExtraFunction[];
  /** Override limits (tests use small ones). */
  limits?: Partial<FunctionLimits>;
  /** Alternative config.toml. */
  configFile?: string;
  /** User secrets file (default supabase/functions/.env, as the CLI's fallback). */
  envFile?: string;
}

export interface FunctionsGateway extends StackService {
  /** The live worker of a function, if any (tests). */
  worker(name: string): FunctionWorker | undefined;
  functions: Map<string, FunctionDef>;
  limits: FunctionLimits;
}

/**
 * /functions/v1/<name>[/<subpath>]: each function of supabase/config.toml served by real
 * Deno (one warm worker per function, restarted after a crash, replaced before its
 * wall clock runs out), with the edge runtime's JWT check, env, limits and error answers.
 */
export async function createFunctionsGateway(ctx: StackContext, options: FunctionsGatewayOptions = {}): Promise<FunctionsGateway> {
  const limits: FunctionLimits = { ...DEFAULT_FUNCTION_LIMITS, ...options.limits };
  const functions = loadFunctions({ configFile: options.configFile, extra: options.extraFunctions });
  const env = functionEnv(ctx, options.envFile ?? path.join(REPO_ROOT, 'supabase', 'functions', '.env'), options.configFile);
  const denoDir = path.join(REPO_ROOT, '.data', 'deno');
  fs.mkdirSync(denoDir, { recursive: true });
  // Imported once: jose would otherwise import the raw secret on every verification.
  const secret = await crypto.subtle.importKey('raw', new TextEncoder().encode(ctx.config.keys.jwtSecret),
    { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const pool = new WorkerPool({ limits, env, log: ctx.log, denoDir });
  let stopping = false;

  /** Request → the function's answer (or the runtime's own: 404, 401, limits, worker failures). */
  async function fetch(request: Request, subpath: string): Promise<Response> {
    const m = /^\/([^/]+)(\/.*)?$/.exec(subpath);
    const fn = m?.[1] ? functions.get(m[1]) : undefined;
    if (!fn || stopping) return new Response('Function not found', { status: 404, headers: { 'content-type': 'text/plain' } });
    if (request.method !== 'OPTIONS' && fn.verifyJwt) {
      const rejected = await checkJwt(request.headers.get('authorization'), secret);
      if (rejected) return jsonResponse(401, rejected);
    }
    return proxy(pool, limits, request, fn, m?.[2] ?? '', new URL(request.url).search);
  }

  return {
    name: 'functions',
    functions,
    limits,
    mounts: [{ prefix: '/functions/v1', fetch, firstAuthorization: false }],
    worker: (name) => pool.worker(name),
    async stop() {
      stopping = true;
      await pool.stop();
    },
  };
}

export const startFunctionsGateway: ServiceFactory = (ctx) => createFunctionsGateway(ctx);
