/**
 * The supervisor against real child processes (`sleep`), killed -9 as a crash would:
 * restart with backoff, give up after the last attempt with one reason, planned stops
 * and restarts are not crashes.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../../stack/src/log.ts';
import { restartDelayMs, supervise, type ChildExit, type Supervisable, type Supervisor } from '../../../stack/src/supervisor.ts';

function sleeper(): Supervisable {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    exited,
    pid: () => child.pid,
    async stop() { child.kill('SIGTERM'); await exited; },
  };
}

function recorder(): { lines: Array<[LogLevel, string]>; log: ReturnType<typeof createLogger> } {
  const lines: Array<[LogLevel, string]> = [];
  return { lines, log: createLogger('test', false, (level, line) => { lines.push([level, line.trim()]); }) };
}

/** kill -9 the running child; resolves once the supervisor has seen it exit. */
async function crash(s: Supervisor<Supervisable>): Promise<void> {
  const c = s.child!;
  process.kill(c.pid()!, 'SIGKILL');
  await c.exited;
}

const policy = { initialDelayMs: 40, maxDelayMs: 160, maxRestarts: 4, stableAfterMs: 60_000 };
let sup: Supervisor<Supervisable> | undefined;
afterEach(async () => { await sup?.stop(); sup = undefined; });

describe('supervisor', () => {
  it('waits 0.5 s doubling to 8 s by default', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => restartDelayMs(a))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('restarts a child killed -9 and says so; running() waits for the new one', async () => {
    const { lines, log } = recorder();
    const starts: boolean[] = [];
    sup = await supervise({ name: 'Sleeper', log, policy, onGiveUp: () => { throw new Error('gave up'); }, start: async (restart) => { starts.push(restart); return sleeper(); } });
    const first = sup.child!.pid()!;
    await crash(sup);
    expect(sup.state).toBe('restarting');
    const next = await sup.running();
    expect(next.pid()).not.toBe(first);
    expect(starts).toEqual([false, true]);
    expect(sup.state).toBe('running');
    const text = lines.map(([, l]) => l).join('\n');
    expect(text).toContain('Sleeper stopped unexpectedly (killed by SIGKILL)');
    expect(text).toContain('restarting Sleeper in 40 ms (attempt 1 of 4)');
    expect(text).toMatch(/Sleeper recovered \d+ ms after it stopped \(attempt 1\)/);
  });

  it('gives up after maxRestarts failed attempts, backing off, with the last reason in one line', async () => {
    const { log } = recorder();
    const attempts: number[] = [];
    let gaveUp: Error | undefined;
    sup = await supervise({
      name: 'Sleeper', log, policy, onGiveUp: (e) => { gaveUp = e; },
      start: async (restart) => {
        if (!restart) return sleeper();
        attempts.push(performance.now());
        throw new Error('the data directory is gone');
      },
    });
    const killedAt = performance.now();
    await crash(sup);
    const waiting = sup.running().then(() => 'running', (e: Error) => e.message);
    await expect.poll(() => gaveUp, { timeout: 5_000 }).toBeDefined();
    expect(gaveUp!.message).toBe('Sleeper stopped (killed by SIGKILL) and could not be restarted after 4 attempts: the data directory is gone');
    expect(gaveUp!.message).not.toContain('\n');
    expect(await waiting).toBe(gaveUp!.message);
    expect(sup.state).toBe('failed');
    // Gaps of at least 40, 80, 160, 160 ms (timers never fire early).
    const gaps = attempts.map((t, i) => t - (i === 0 ? killedAt : attempts[i - 1]!));
    expect(gaps.length).toBe(4);
    [40, 80, 160, 160].forEach((min, i) => expect(gaps[i]!).toBeGreaterThanOrEqual(min - 2));
  });

  it('a child that dies again soon after its restart continues the same row; a stop is not a crash', async () => {
    const { lines, log } = recorder();
    sup = await supervise({ name: 'Sleeper', log, policy, onGiveUp: () => {}, start: async () => sleeper() });
    await crash(sup);
    await sup.running();
    await crash(sup);
    const third = await sup.running();
    expect(lines.map(([, l]) => l)).toContain('[test] WARN restarting Sleeper in 80 ms (attempt 2 of 4)');
    await sup.restart();
    expect(sup.child!.pid()).not.toBe(third.pid());
    const child = sup.child!;
    await sup.stop();
    await child.exited;
    await new Promise((r) => setTimeout(r, 200));
    expect(sup.state).toBe('stopped');
    expect(sup.child).toBeUndefined();
    expect(lines.filter(([, l]) => l.includes('stopped unexpectedly'))).toHaveLength(2);
    await expect(sup.running()).rejects.toThrow('Sleeper is stopped');
  });
});
