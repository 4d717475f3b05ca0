import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../config.ts';
import type { Logger } from '../log.ts';
import type { FunctionDef } from './config.ts';
import type { FunctionLimits } from './limits.ts';
import { processCpuMs, processRssMb } from './proc.ts';

/** Why a worker ended: limits (546), a crash (500), or the gateway's own decision. */
export type EndReason = 'cpu' | 'memory' | 'wallclock' | 'crash' | 'boot' | 'retired' | 'stopped';

export const WRAPPER = new URL('./wrapper.mjs', import.meta.url);
const READY_MARKER = '\u001e__hotwatch_worker_ready__';
const OOM = /out of memory|heap limit|Allocation failed/i;

/** The Deno binary from node_modules (the .bin entry is a link to it). */
export function denoBinary(): string {
  const bin = fs.realpathSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'deno'));
  return bin.endsWith('.cjs') ? path.join(path.dirname(bin), 'deno') : bin;
}

/** CPU used by one request, as a share of the process's CPU while it was in flight. */
export interface RequestTrack { cpuMs: number }

export class BootError extends Error {}

/**
 * One Deno process serving one function, kept warm across requests. CPU time is read
 * from /proc while requests are in flight and split evenly among them (the edge runtime
 * meters CPU per request; concurrent requests of one isolate share its CPU here). A
 * request over the hard CPU limit, V8 running out of its old space, or resident memory
 * growing more than the limit past its size after boot terminates the worker; over
 * the soft CPU limit it is retired after its requests finish.
 */
export class FunctionWorker {
  readonly startedAt = Date.now();
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly inflight = new Set<RequestTrack>();
  readonly ready: Promise<void>;
  readonly ended: Promise<EndReason>;
  port = 0;
  retired = false;
  endReason: EndReason | undefined;
  private readonly proc: ChildProcess;
  private killReason: EndReason | undefined;
  private stderrTail: string[] = [];
  private lastCpuMs = 0;
  private rssBaselineMb = 0;
  private sampler: NodeJS.Timeout | undefined;
  private wallClock: NodeJS.Timeout | undefined;

  constructor(readonly fn: FunctionDef, private readonly limits: FunctionLimits, env: Record<string, string>,
    private readonly log: Logger, denoDir: string) {
    const cfg = fn.config;
    const args = [
      'run', '--no-prompt', '--no-lock', '--quiet',
      ...(cfg ? [cfg.kind === 'config' ? `--config=${cfg.file}` : `--import-map=${cfg.file}`] : ['--node-modules-dir=manual']),
      `--v8-flags=--max-old-space-size=${limits.memoryMb}`,
      '--allow-net', '--allow-env', '--allow-read', '--allow-sys', `--allow-write=${os.tmpdir()}`,
      WRAPPER.pathname,
    ];
    this.proc = spawn(denoBinary(), args, {
      cwd: REPO_ROOT,
      env: { ...env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', HOTWATCH_FN_ENTRY: pathToFileURL(fn.entrypoint).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.ended = new Promise((resolve) => {
      // A spawn failure (no Deno binary) ends the worker like a boot error.
      this.proc.once('error', (e) => {
        this.stderrTail.push(String(e));
        if (this.proc.exitCode === null && this.proc.pid === undefined) this.proc.emit('exit', null, null);
      });
      this.proc.once('exit', (code, signal) => {
        this.endReason = this.killReason ?? (this.stderrTail.some((l) => OOM.test(l)) ? 'memory' : this.port === 0 ? 'boot' : 'crash');
        if (this.sampler) clearInterval(this.sampler);
        if (this.wallClock) clearTimeout(this.wallClock);
        this.agent.destroy();
        if (this.endReason !== 'retired' && this.endReason !== 'stopped') {
          this.log.warn(`worker ended (${this.endReason})`, { pid: this.proc.pid, code, signal });
        }
        resolve(this.endReason);
      });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const bootTimer = setTimeout(() => { this.kill('boot'); }, limits.bootTimeoutMs);
      this.lines(this.proc.stdout, (line) => {
        if (this.port === 0 && line.startsWith(READY_MARKER)) {
          this.port = Number(line.slice(READY_MARKER.length).trim());
          clearTimeout(bootTimer);
          this.onReady();
          resolve();
        } else {
          this.log.info(line);
        }
      });
      this.lines(this.proc.stderr, (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 40) this.stderrTail.shift();
        this.log.info(line);
      });
      void this.ended.then(() => {
        clearTimeout(bootTimer);
        if (this.port === 0) reject(new BootError(`worker for ${fn.name} failed to boot:\n${this.stderrTail.slice(-10).join('\n')}`));
      });
    });
    this.ready.catch(() => {});
  }

  get pid(): number | undefined { return this.proc.pid; }
  get alive(): boolean { return this.endReason === undefined; }
  get recentStderr(): string[] { return [...this.stderrTail]; }

  private lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
      if (buf.length > 64 * 1024) { onLine(buf); buf = ''; }
    });
    stream?.on('end', () => { if (buf) onLine(buf); });
  }

  private onReady(): void {
    const pid = this.proc.pid ?? 0;
    this.lastCpuMs = processCpuMs(pid) ?? 0;
    this.rssBaselineMb = processRssMb(pid) ?? 0;
    this.wallClock = setTimeout(() => this.kill('wallclock'), Math.max(0, this.limits.wallClockMs - (Date.now() - this.startedAt)));
    this.wallClock.unref();
    this.schedule();
  }

  private schedule(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = setInterval(() => this.sample(), this.inflight.size > 0 ? this.limits.sampleMs : 250);
    this.sampler.unref();
  }

  /** Attribute CPU since the last sample to in-flight requests; enforce hard limits. */
  sample(): void {
    const pid = this.proc.pid;
    if (!pid || !this.alive) return;
    const cpu = processCpuMs(pid);
    const rss = processRssMb(pid);
    if (cpu === undefined || rss === undefined) return;
    const delta = cpu - this.lastCpuMs;
    this.lastCpuMs = cpu;
    if (this.inflight.size > 0 && delta > 0) {
      const share = delta / this.inflight.size;
      for (const t of this.inflight) t.cpuMs += share;
      if ([...this.inflight].some((t) => t.cpuMs > this.limits.cpuHardMs)) { this.kill('cpu'); return; }
    }
    if (rss - this.rssBaselineMb > this.limits.memoryMb) this.kill('memory');
  }

  /** Start metering a request. */
  track(): RequestTrack {
    this.sample();
    const t: RequestTrack = { cpuMs: 0 };
    this.inflight.add(t);
    if (this.inflight.size === 1) this.schedule();
    return t;
  }

  /** Stop metering; over the soft CPU limit the worker takes no new requests. */
  untrack(t: RequestTrack): void {
    this.sample();
    this.inflight.delete(t);
    if (t.cpuMs > this.limits.cpuSoftMs && !this.retired) {
      this.log.warn('request over the soft CPU limit; retiring the worker', { cpuMs: Math.round(t.cpuMs) });
      this.retire();
    }
    if (this.inflight.size === 0) {
      if (this.retired) this.kill('retired');
      else this.schedule();
    }
  }

  /** No new requests; ends when the in-flight ones are done. */
  retire(): void {
    this.retired = true;
    if (this.inflight.size === 0) this.kill('retired');
  }

  kill(reason: EndReason): void {
    if (!this.alive) return;
    this.killReason ??= reason;
    const graceful = reason === 'retired' || reason === 'stopped';
    this.proc.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    // A retired worker finishes its background tasks (EdgeRuntime.waitUntil) within what is left
    // of its wall clock, as on the platform; a stopping stack gives it 2 s.
    const graceMs = reason === 'retired' ? Math.max(2_000, this.limits.wallClockMs - (Date.now() - this.startedAt)) : 2_000;
    if (graceful) setTimeout(() => { if (this.alive) this.proc.kill('SIGKILL'); }, graceMs).unref();
  }
}
