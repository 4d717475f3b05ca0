import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { jwtVerify } from 'jose';
import { REPO_ROOT } from '../config.ts';
import type { ServiceFactory, StackContext, StackService } from '../services.ts';
import { readSupabaseConfig, table } from '../supabase-config.ts';
import { loadFunctions, type ExtraFunction, type FunctionDef } from './config.ts';
import { DEFAULT_FUNCTION_LIMITS, FUNCTION_ERRORS, type FunctionError, type FunctionLimits } from './limits.ts';
import { BootError, FunctionWorker, type EndReason } from './worker.ts';

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

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendFunctionError(res: ServerResponse, e: FunctionError): void {
  sendJson(res, e.status, { code: e.code, message: e.message });
}

/** dotenv subset: KEY=VALUE lines, optional quotes, # comments. */
function readEnvFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m?.[1] || raw.trimStart().startsWith('#')) continue;
    let v = m[2] ?? '';
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    // The SUPABASE_ prefix is reserved for what the platform injects.
    if (!m[1].startsWith('SUPABASE_')) out[m[1]] = v;
  }
  return out;
}

/**
 * config.toml's [edge_runtime.secrets] (supabase/cli pkg/config: `KEY = "value"`, a
 * value `env(NAME)` read from the environment). Reserved SUPABASE_ names are skipped.
 */
function configSecrets(configFile: string | undefined): Record<string, string> {
  const secrets = table(table(readSupabaseConfig(configFile), 'edge_runtime'), 'secrets') ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secrets)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const text = String(v);
    const ref = /^env\((\w+)\)$/.exec(text);
    const value = ref ? process.env[ref[1]!] : text;
    if (value !== undefined && !k.startsWith('SUPABASE_')) out[k] = value;
  }
  return out;
}

/** What Supabase injects into every function (supabase/cli internal/functions/serve). */
function functionEnv(ctx: StackContext, envFile: string, configFile: string | undefined): Record<string, string> {
  const { keys } = ctx.config;
  return {
    ...configSecrets(configFile),
    ...readEnvFile(envFile),
    SUPABASE_URL: ctx.apiUrl,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_DB_URL: ctx.dbUrl,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.from(keys.jwtSecret).toString('base64url'), alg: 'HS256' }] }),
  };
}

/**
 * The edge runtime main service's JWT check (supabase/cli serve/templates/main.ts):
 * `Authorization: Bearer <jwt>`, HS256 with the project secret; only signature and
 * expiry matter, not the role. Answers are the runtime's own 401 bodies.
 */
async function checkJwt(req: IncomingMessage, secret: CryptoKey): Promise<{ msg: string } | undefined> {
  const header = req.headers.authorization;
  if (!header) return { msg: 'Error: Missing authorization header' };
  const [bearer, token] = header.split(' ');
  if (bearer !== 'Bearer') return { msg: "Error: Auth header is not 'Bearer {token}'" };
  try {
    await jwtVerify(token ?? '', secret, { algorithms: ['HS256'] });
    return undefined;
  } catch {
    return { msg: 'Invalid JWT' };
  }
}

function errorFor(reason: EndReason | undefined): FunctionError {
  if (reason === 'cpu' || reason === 'memory' || reason === 'wallclock') return FUNCTION_ERRORS.workerLimit;
  if (reason === 'boot') return FUNCTION_ERRORS.bootError;
  return FUNCTION_ERRORS.workerError;
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
  const workers = new Map<string, FunctionWorker>();
  const all = new Set<FunctionWorker>();
  let stopping = false;
  const bootErrorsLogged = new Map<string, { message: string; at: number }>();
  /** A failing function is retried on every request; say why once a minute, not each time. */
  function logBootError(name: string, message: string): void {
    const last = bootErrorsLogged.get(name);
    if (last && last.message === message && Date.now() - last.at < 60_000) return;
    bootErrorsLogged.set(name, { message, at: Date.now() });
    ctx.log.warn(message);
  }

  /** The function's serving worker: warm if possible, else a fresh one (boot errors throw). */
  async function workerFor(fn: FunctionDef): Promise<FunctionWorker> {
    let w = workers.get(fn.name);
    // Stop routing to a worker that could not finish a request before its wall clock.
    if (w && w.alive && Date.now() - w.startedAt > limits.wallClockMs - limits.requestIdleTimeoutMs) w.retire();
    if (!w || !w.alive || w.retired) {
      if (!fs.existsSync(fn.entrypoint)) throw new BootError(`entrypoint of ${fn.name} not found: ${fn.entrypoint}`);
      w = new FunctionWorker(fn, limits, env, ctx.log.child(fn.name), denoDir);
      const spawned = w;
      workers.set(fn.name, spawned);
      all.add(spawned);
      void spawned.ended.then(() => {
        all.delete(spawned);
        if (workers.get(fn.name) === spawned) workers.delete(fn.name);
      });
    }
    await w.ready;
    return w;
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, fn: FunctionDef, rest: string, search: string): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.maxBodyBytes) { req.resume(); return sendFunctionError(res, FUNCTION_ERRORS.payloadTooLarge); }

    let worker: FunctionWorker;
    try {
      worker = await workerFor(fn);
    } catch (e) {
      if (e instanceof BootError) logBootError(fn.name, e.message);
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

  async function handle(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://functions');
    const m = /^\/([^/]+)(\/.*)?$/.exec(subpath);
    const fn = m?.[1] ? functions.get(m[1]) : undefined;
    if (!fn || stopping) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Function not found');
      return;
    }
    if (req.method !== 'OPTIONS' && fn.verifyJwt) {
      const rejected = await checkJwt(req, secret);
      if (rejected) { req.resume(); return sendJson(res, 401, rejected); }
    }
    await proxy(req, res, fn, m?.[2] ?? '', url.search);
  }

  return {
    name: 'functions',
    functions,
    limits,
    mounts: [{ prefix: '/functions/v1', handle }],
    worker: (name) => workers.get(name),
    async stop() {
      stopping = true;
      const ending = [...all].map((w) => { w.kill('stopped'); return w.ended; });
      await Promise.race([Promise.allSettled(ending), new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}

export const startFunctionsGateway: ServiceFactory = (ctx) => createFunctionsGateway(ctx);
