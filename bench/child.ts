/**
 * A bench child process (bench/realtime-clients.ts) driven over IPC, and the percentile
 * helper the Realtime benches share.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export type Reply = { ok?: string; error?: string; [k: string]: unknown };

export class Child {
  private readonly proc: ChildProcess;
  private queue: Array<(r: Reply) => void> = [];
  readonly started: Promise<Reply>;

  constructor(name: string) {
    // Its own session, hence its own scheduling group (sched_autogroup) as every PostgreSQL
    // backend has: otherwise the server and all client, writer and floor processes share
    // one group's CPU share against each backend's.
    this.proc = fork(path.join(here, 'realtime-clients.ts'), [name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    const proc = this.proc;
    process.once('exit', () => proc.kill());
    this.started = new Promise((resolve) => this.queue.push(resolve));
    this.proc.on('message', (m: Reply) => this.queue.shift()?.(m));
  }

  call(msg: Record<string, unknown>, timeoutMs = 600_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child timeout on ${String(msg.cmd)}`)), timeoutMs);
      this.queue.push((r) => { clearTimeout(t); if (r.error) reject(new Error(r.error)); else resolve(r); });
      this.proc.send(msg);
    });
  }

  kill(): void {
    this.proc.kill();
  }
}

export function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The Realtime server's stage percentiles (stack/src/realtime/metrics.ts) as one note. */
export function stagesNote(m: Record<string, number | undefined>): string {
  const st = (s: string): string => `${m[`${s}P50Ms`]!.toFixed(1)}/${m[`${s}P99Ms`]!.toFixed(1)}`;
  return `server stages p50/p99 ms: WAL commit → decoded ${st('wal')}; waiting for a batch slot ${st('queue')}; batch start → RLS answered ${st('rls')}; waiting for earlier batches ${st('order')}; writing a batch's frames ${st('emit')}; commit → frames written ${st('send')}. Server event-loop delay p50/p99/max ${m.loopDelayP50Ms!.toFixed(1)}/${m.loopDelayP99Ms!.toFixed(1)}/${m.loopDelayMaxMs!.toFixed(1)} ms`;
}
