import fs from 'node:fs';
import type { Logger } from '../log.ts';
import type { FunctionDef } from './config.ts';
import type { FunctionLimits } from './limits.ts';
import { BootError, FunctionWorker } from './worker.ts';

/**
 * One warm worker per function: replaced before its wall clock runs out (a retired worker
 * finishes what it has), spawned afresh after a crash; boot errors throw (BootError).
 */
export class WorkerPool {
  private readonly serving = new Map<string, FunctionWorker>();
  /** Every live worker, retired ones included (stop() ends them all). */
  private readonly all = new Set<FunctionWorker>();
  private readonly bootErrorsLogged = new Map<string, { message: string; at: number }>();

  constructor(private readonly opts: { limits: FunctionLimits; env: Record<string, string>; log: Logger; denoDir: string }) {}

  /** The live worker of a function, if any (tests). */
  worker(name: string): FunctionWorker | undefined {
    return this.serving.get(name);
  }

  /** The function's serving worker: warm if possible, else a fresh one (boot errors throw). */
  async workerFor(fn: FunctionDef): Promise<FunctionWorker> {
    const { limits, env, log, denoDir } = this.opts;
    let w = this.serving.get(fn.name);
    // Stop routing to a worker that could not finish a request before its wall clock.
    if (w && w.alive && Date.now() - w.startedAt > limits.wallClockMs - limits.requestIdleTimeoutMs) w.retire();
    if (!w || !w.alive || w.retired) {
      if (!fs.existsSync(fn.entrypoint)) throw new BootError(`entrypoint of ${fn.name} not found: ${fn.entrypoint}`);
      w = new FunctionWorker(fn, limits, env, log.child(fn.name), denoDir);
      const spawned = w;
      this.serving.set(fn.name, spawned);
      this.all.add(spawned);
      void spawned.ended.then(() => {
        this.all.delete(spawned);
        if (this.serving.get(fn.name) === spawned) this.serving.delete(fn.name);
      });
    }
    await w.ready;
    return w;
  }

  /** A failing function is retried on every request; say why once a minute, not each time. */
  logBootError(name: string, message: string): void {
    const last = this.bootErrorsLogged.get(name);
    if (last && last.message === message && Date.now() - last.at < 60_000) return;
    this.bootErrorsLogged.set(name, { message, at: Date.now() });
    this.opts.log.warn(message);
  }

  /** Kill every worker; resolves when they ended (or after 5 s). */
  async stop(): Promise<void> {
    const ending = [...this.all].map((w) => { w.kill('stopped'); return w.ended; });
    await Promise.race([Promise.allSettled(ending), new Promise((r) => setTimeout(r, 5_000))]);
  }
}
