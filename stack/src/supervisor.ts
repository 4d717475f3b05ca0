/**
 * Supervision for the processes the stack starts (PostgreSQL today; a mail catcher or
 * any other child tomorrow): when one exits without being asked to, start it again —
 * up to `maxRestarts` times in a row, waiting `initialDelayMs` doubling to `maxDelayMs`
 * between attempts — and say on the console what happened and when it came back. A
 * child that stayed up `stableAfterMs` starts a new row. When every attempt failed the
 * supervisor gives up and reports one error (the CLI prints it and exits non-zero).
 */
import type { Logger } from './log.ts';

export interface ChildExit { code: number | null; signal: NodeJS.Signals | null }

/** A started child: its pid, a promise of its exit, and a clean stop. */
export interface Supervisable {
  pid(): number | undefined;
  readonly exited: Promise<ChildExit>;
  stop(): Promise<void>;
}

export interface RestartPolicy {
  maxRestarts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** A child up this long has recovered: the next crash starts a new row of attempts. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 5, initialDelayMs: 500, maxDelayMs: 8_000, stableAfterMs: 30_000 };

/** Wait before restart attempt `attempt` (1-based): 0.5 s, 1 s, 2 s, 4 s, 8 s with the defaults. */
export function restartDelayMs(attempt: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

export type SupervisorState = 'running' | 'restarting' | 'stopped' | 'failed';

export interface Supervisor<C extends Supervisable> {
  /** The child now running (undefined while restarting, stopped or failed). */
  readonly child: C | undefined;
  readonly state: SupervisorState;
  /** Resolves with the running child (at once, or after the restart under way); rejects once given up or stopped. */
  running(): Promise<C>;
  /** Stop the child and start it again (a planned restart: not counted as a crash). */
  restart(): Promise<void>;
  /** Stop supervising and stop the child. */
  stop(): Promise<void>;
}

export interface SuperviseOptions<C extends Supervisable> {
  /** Human name for the console ("PostgreSQL"). */
  name: string;
  /** Start the child; `restart` is false for the first start. Resolves once it is ready. */
  start(restart: boolean): Promise<C>;
  log: Logger;
  policy?: Partial<RestartPolicy>;
  /** Every restart attempt failed: the error says why, in one line (the owner reports it). */
  onGiveUp(error: Error): void;
}

/** Start the child (a failure of this first start is thrown, not retried) and supervise it. */
export async function supervise<C extends Supervisable>(opts: SuperviseOptions<C>): Promise<Supervisor<C>> {
  const policy = { ...DEFAULT_RESTART_POLICY, ...opts.policy };
  const { name, log } = opts;
  let child: C | undefined = await opts.start(false);
  let state: SupervisorState = 'running';
  let upSince = Date.now();
  let attempts = 0;
  let failure: Error | undefined;
  let waiters: Array<{ resolve(c: C): void; reject(e: Error): void }> = [];
  let wake: (() => void) | undefined;
  /** Children being stopped on purpose: their exit is not a crash. */
  const planned = new WeakSet<C>();

  const settle = (): void => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) {
      if (state === 'running' && child) w.resolve(child);
      else if (state !== 'restarting') w.reject(failure ?? new Error(`${name} is stopped`));
      else waiters.push(w);
    }
  };
  const pause = (ms: number): Promise<void> => new Promise((resolve) => {
    const t = setTimeout(() => { wake = undefined; resolve(); }, ms);
    wake = () => { clearTimeout(t); wake = undefined; resolve(); };
  });

  const watch = (c: C): void => {
    void c.exited.then((exit) => {
      if (c !== child || planned.has(c) || state !== 'running') return;
      void recover(exit);
    });
  };

  async function recover(exit: ChildExit): Promise<void> {
    const downAt = Date.now();
    if (downAt - upSince >= policy.stableAfterMs) attempts = 0;
    child = undefined;
    state = 'restarting';
    log.warn(`${name} stopped unexpectedly (${describeExit(exit)})`);
    let lastError: Error | undefined;
    while (attempts < policy.maxRestarts) {
      attempts++;
      const delay = restartDelayMs(attempts, policy);
      log.warn(`restarting ${name} in ${delay} ms (attempt ${attempts} of ${policy.maxRestarts})`);
      await pause(delay);
      if (state !== 'restarting') return;
      try {
        const next = await opts.start(true);
        if (state !== 'restarting') { planned.add(next); await next.stop(); return; }
        child = next;
        state = 'running';
        upSince = Date.now();
        watch(next);
        log.info(`${name} recovered ${Date.now() - downAt} ms after it stopped (attempt ${attempts})`, { pid: next.pid() });
        settle();
        return;
      } catch (e) {
        lastError = e instanceof Error ? e : new Error(String(e));
        log.warn(`${name} restart attempt ${attempts} failed`, { error: lastError.message });
      }
    }
    state = 'failed';
    failure = new Error(`${name} stopped (${describeExit(exit)}) and could not be restarted after ${attempts} attempts: ` +
      `${lastError?.message ?? 'it kept stopping'}`);
    settle();
    opts.onGiveUp(failure);
  }

  const running = (): Promise<C> => {
    if (state === 'running' && child) return Promise.resolve(child);
    if (state !== 'restarting') return Promise.reject(failure ?? new Error(`${name} is stopped`));
    return new Promise<C>((resolve, reject) => waiters.push({ resolve, reject }));
  };

  watch(child);
  return {
    get child() { return child; },
    get state() { return state; },
    running,
    async restart() {
      const c = await running();
      planned.add(c);
      child = undefined;
      state = 'restarting';
      await c.stop();
      try {
        const next = await opts.start(true);
        if (state !== 'restarting') { planned.add(next); await next.stop(); return; } // stopped meanwhile
        child = next;
        state = 'running';
        upSince = Date.now();
        watch(next);
      } catch (e) {
        state = 'failed';
        failure = e instanceof Error ? e : new Error(String(e));
        throw failure;
      } finally {
        settle();
      }
    },
    async stop() {
      const c = child;
      state = 'stopped';
      child = undefined;
      wake?.();
      settle();
      if (c) { planned.add(c); await c.stop(); }
    },
  };
}
