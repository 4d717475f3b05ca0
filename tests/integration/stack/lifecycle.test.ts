import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { freePort } from '../../../stack/src/postgres/embedded.ts';

/** `npm start` as a user runs it, on its own ports and data directory. */
interface Started { child: ChildProcess; output: () => string }

function startCli(env: Record<string, string>, args: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'stack/src/cli.ts', 'start', ...args], {
    cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no status block within 90 s:\n${out}`)), 90_000);
    child.stdout.on('data', () => {
      if (out.includes('Press Ctrl-C to stop')) { clearTimeout(timer); resolve({ child, output: () => out }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${out}`)); });
  });
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
  afterAll(async () => { await fs.rm(root, { recursive: true, force: true }); });

  it('prints the status block, stops cleanly on SIGINT and restarts with its data', async () => {
    const first = await startCli(env);
    expect(first.output()).toContain(`DB URL: ${dbUrl}`);
    expect(first.output()).toContain('anon key: eyJ');
    expect(first.output()).toContain(`Inbox URL: http://127.0.0.1:${env.HOTWATCH_MAIL_PORT}`);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    await sql`insert into public.orgs (slug, name) values ('lifecycle', 'Lifecycle')`;
    await sql.end();
    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);

    const second = await startCli(env);
    const sql2 = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const rows = await sql2`select slug from public.orgs where slug = 'lifecycle'`;
    await sql2.end();
    expect(rows.length).toBe(1);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
  });

  it('recovers after kill -9 (orphaned postmaster, stale pid file)', async () => {
    const first = await startCli(env);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const second = await startCli(env);
    expect(second.output()).toMatch(/orphaned PostgreSQL|stale postmaster\.pid/);
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    expect((await sql`select count(*)::int as n from public.orgs where slug = 'lifecycle'`)[0]!.n).toBe(1);
    await sql.end();
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
  });

  it('says clearly when a port is taken', async () => {
    const blocker = net.createServer().listen(Number(env.HOTWATCH_DB_PORT), '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      await expect(startCli(env)).rejects.toThrow(/Port \d+ \(PostgreSQL\) is already in use/);
    } finally {
      blocker.close();
    }
  });
});
