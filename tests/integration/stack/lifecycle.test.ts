import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { createLogger } from '../../../stack/src/log.ts';
import { freePort, recoverPidFile } from '../../../stack/src/postgres/embedded.ts';

/** `npm start` as a user runs it, on its own ports and data directory. */
interface Started { child: ChildProcess; detached: boolean; output: () => string; stderr: () => string }

/** Every CLI a test spawned: afterEach stops any still running, so one failure cannot cascade into the next tests. */
const spawned = new Set<Started>();

/** `detached`: in a process group of its own, as a terminal's foreground job (a Ctrl-C signals the whole group). */
function spawnCli(env: Record<string, string>, args: string[] = [], detached = false): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'stack/src/cli.ts', 'start', ...args], {
    cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); err += d.toString(); });
  const started = { child, detached, output: () => out, stderr: () => err };
  spawned.add(started);
  return started;
}

function startCli(env: Record<string, string>, args: string[] = [], detached = false): Promise<Started> {
  const started = spawnCli(env, args, detached);
  const { child, output } = started;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no status block within 90 s; the CLI printed:\n${output()}`)), 90_000);
    child.stdout?.on('data', () => {
      if (output().includes('Press Ctrl-C to stop')) { clearTimeout(timer); resolve(started); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${output()}`)); });
  });
}

/** Its exit code, waiting at most `ms`; a CLI that hangs fails the test with what it printed. */
function exitedWithin(started: Started, ms = 60_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void procState(started.child.pid!).then((state) =>
        reject(new Error(`still running after ${ms / 1000} s (${state}); the CLI printed:\n${started.output()}`)));
    }, ms);
    void exited(started.child).then((code) => { clearTimeout(timer); resolve(code); });
  });
}

/** Its scheduler state and signal masks (a hung CLI: blocked event loop, or the signal ignored or blocked?). */
async function procState(pid: number): Promise<string> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const wchan = await fs.readFile(`/proc/${pid}/wchan`, 'utf8').catch(() => '?');
  const syscall = await fs.readFile(`/proc/${pid}/syscall`, 'utf8').catch(() => '?');
  const lines = status.split('\n').filter((l) => /^(State|SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt):/.test(l));
  const tasks = await fs.readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const threads = await Promise.all(tasks.map(async (t) => {
    const read = (f: string): Promise<string> => fs.readFile(`/proc/${pid}/task/${t}/${f}`, 'utf8').then((x) => x.trim()).catch(() => '?');
    return `${t} ${await read('comm')} ${await read('wchan')} ${(await read('syscall')).split(' ')[0]}`;
  }));
  return [...lines, `wchan: ${wchan}`, `syscall: ${syscall.split(' ')[0]}`, `threads: ${threads.join('; ')}`].join(', ');
}

/** Signal the CLI (its whole process group when detached, as a terminal's Ctrl-C does) and wait for its exit. */
function stopCli(started: Started, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  signalCli(started, signal);
  return exitedWithin(started);
}

function signalCli(started: Started, signal: NodeJS.Signals): void {
  try {
    if (started.detached) process.kill(-started.child.pid!, signal);
    else started.child.kill(signal);
  } catch { /* already gone */ }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** After a test: stop a CLI left running (cleanly if it will, else kill -9), then any PostgreSQL it orphaned. */
async function stopLeftovers(dataDir: string): Promise<void> {
  for (const started of spawned) {
    if (!isRunning(started.child)) continue;
    signalCli(started, 'SIGINT');
    await exitedWithin(started, 20_000).catch(async () => {
      signalCli(started, 'SIGKILL');
      await exited(started.child);
    });
  }
  spawned.clear();
  await recoverPidFile(dataDir, createLogger('lifecycle-cleanup', true));
}

/** A start that must fail: its exit code and what it printed on stderr. */
async function failedStart(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const started = spawnCli(env);
  const code = await exitedWithin(started, 90_000);
  return { code, stderr: started.stderr() };
}

/** Besides the stack's own log lines ("[hotwatch…] ERROR …"), one last line on stderr saying why, and no stack trace. */
function expectOneClearLine(stderr: string, why: RegExp): void {
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('[hotwatch'));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(why);
  expect(stderr.trim().split('\n').at(-1)).toBe(lines[0]);
  expect(stderr).not.toMatch(/^\s+at /m);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

describe.skipIf(!inject('stack').embedded)('npm start lifecycle', () => {
  let root: string;
  let env: Record<string, string>;
  let dbUrl: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-cli-'));
    await fs.chmod(root, 0o755);
    const dbPort = await freePort();
    env = { HOTWATCH_DATA_DIR: path.join(root, 'pg'), HOTWATCH_DB_PORT: String(dbPort), HOTWATCH_API_PORT: String(await freePort()),
      HOTWATCH_MAIL_PORT: String(await freePort()), HOTWATCH_SMTP_PORT: String(await freePort()) };
    dbUrl = `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`;
  });
  afterEach(async () => { await stopLeftovers(env.HOTWATCH_DATA_DIR!); }, 60_000);
  afterAll(async () => {
    await stopLeftovers(env.HOTWATCH_DATA_DIR!);
    await fs.rm(root, { recursive: true, force: true, maxRetries: 5 });
  }, 60_000);

  it('prints the status block, stops cleanly on SIGINT and restarts with its data', async () => {
    const first = await startCli(env);
    expect(first.output()).toContain(`DB URL: ${dbUrl}`);
    expect(first.output()).toContain('anon key: eyJ');
    expect(first.output()).toContain(`Inbox URL: http://127.0.0.1:${env.HOTWATCH_MAIL_PORT}`);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    await sql`insert into public.orgs (slug, name) values ('lifecycle', 'Lifecycle')`;
    await sql.end();
    expect(await stopCli(first)).toBe(0);

    const second = await startCli(env);
    const sql2 = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const rows = await sql2`select slug from public.orgs where slug = 'lifecycle'`;
    await sql2.end();
    expect(rows.length).toBe(1);
    expect(await stopCli(second, 'SIGTERM')).toBe(0);
  });

  it('recovers after kill -9 (orphaned postmaster, stale pid file)', async () => {
    const first = await startCli(env);
    await stopCli(first, 'SIGKILL');
    const second = await startCli(env);
    expect(second.output()).toMatch(/orphaned PostgreSQL|stale postmaster\.pid/);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    expect((await sql`select count(*)::int as n from public.orgs where slug = 'lifecycle'`)[0]!.n).toBe(1);
    await sql.end();
    expect(await stopCli(second)).toBe(0);
  });

  it('says clearly, in one line, when a port is taken', async () => {
    for (const [name, what] of [['HOTWATCH_DB_PORT', 'PostgreSQL'], ['HOTWATCH_API_PORT', 'API gateway']] as const) {
      const blocker = net.createServer().listen(Number(env[name]), '127.0.0.1');
      await new Promise((r) => blocker.once('listening', r));
      try {
        const { code, stderr } = await failedStart(env);
        expect(code).not.toBe(0);
        expectOneClearLine(stderr, new RegExp(`^Port \\d+ \\(${what}\\) is already in use`));
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    }
  });

  it('refuses a data directory from another PostgreSQL major in one line', async () => {
    const other = path.join(root, 'pg16');
    await fs.mkdir(other, { recursive: true });
    await fs.writeFile(path.join(other, 'PG_VERSION'), '16\n');
    const { code, stderr } = await failedStart({ ...env, HOTWATCH_DATA_DIR: other });
    expect(code).not.toBe(0);
    expectOneClearLine(stderr, /^The data directory .*pg16 was created by PostgreSQL 16; the stack runs PostgreSQL 17\./);
    expect(await fs.readdir(other)).toEqual(['PG_VERSION']); // left as it was
  });

  it('removes a stale postmaster.pid whose process is gone, and starts', async () => {
    const gone = spawn('true');
    await exited(gone);
    const pidFile = path.join(env.HOTWATCH_DATA_DIR!, 'postmaster.pid');
    await fs.writeFile(pidFile, `${gone.pid}\n${env.HOTWATCH_DATA_DIR}\n`);
    const started = await startCli(env);
    expect(started.output()).toContain(`removing stale postmaster.pid {"pid":${gone.pid}}`);
    expect(await stopCli(started)).toBe(0);
  });

  it('a Ctrl-C in the terminal (SIGINT to the whole process group) stops quietly', async () => {
    const started = await startCli(env, [], true);
    const ready = started.output().length;
    expect(await stopCli(started)).toBe(0); // SIGINT to the whole process group
    const stop = started.output().slice(ready);
    expect(stop).toContain('SIGINT: stopping…');
    expect(stop.trimEnd().endsWith('stopped.'), stop).toBe(true);
    expect(stop, 'no warnings or errors from a normal stop').not.toMatch(/WARN|ERROR|terminating connection/);
  });

  it('PostgreSQL killed -9 is restarted; when it cannot be (data directory gone) the stack exits 1 with one line', async () => {
    const started = await startCli(env);
    const pidOf = async (): Promise<number> => Number((await fs.readFile(path.join(env.HOTWATCH_DATA_DIR!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    await sql`insert into public.orgs (slug, name) values ('before-crash', 'Committed before the crash')`;
    await sql.end();
    const first = await pidOf();
    process.kill(first, 'SIGKILL');
    await expect.poll(() => started.output(), { timeout: 60_000, interval: 200 }).toMatch(/PostgreSQL recovered \d+ ms after it stopped/);
    expect(started.output()).toContain('PostgreSQL stopped unexpectedly (killed by SIGKILL)');
    const sql2 = postgres(dbUrl, { max: 1, onnotice: () => {} });
    expect((await sql2`select count(*)::int as n from public.orgs where slug = 'before-crash'`)[0]!.n, 'a commit before the crash').toBe(1);
    await sql2.end();

    const second = await pidOf();
    expect(second).not.toBe(first);
    await fs.rm(env.HOTWATCH_DATA_DIR!, { recursive: true, force: true });
    process.kill(second, 'SIGKILL');
    // Five attempts, 0.5 + 1 + 2 + 4 + 8 s apart (the first crash's row continues: it was less than 30 s ago).
    expect(await exitedWithin(started, 90_000)).toBe(1);
    expectOneClearLine(started.stderr(), /^hotwatch: PostgreSQL stopped \(killed by SIGKILL\) and could not be restarted after \d attempts: the data directory .* is gone$/);
  }, 120_000);
});
