import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../config.ts';

const run = promisify(execFile);

/** The pinned Supabase CLI from node_modules (supabase@2.117.0). */
export const SUPABASE_CLI = path.join(REPO_ROOT, 'node_modules', '.bin', 'supabase');

/**
 * Environment for CLI runs: its telemetry and traces go to a git-ignored home inside
 * the repo instead of the user's ~/.supabase, and telemetry is off (no network here).
 */
async function cliEnv(): Promise<NodeJS.ProcessEnv> {
  const home = path.join(REPO_ROOT, '.data', 'cli-home');
  await fs.mkdir(path.join(home, '.supabase'), { recursive: true });
  await fs.writeFile(path.join(home, '.supabase', 'telemetry.json'), JSON.stringify({ consent: false, disabled: true }));
  return { ...process.env, HOME: home, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
}

export async function supabaseCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(SUPABASE_CLI, args, { cwd: REPO_ROOT, env: await cliEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 180_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`supabase ${args.join(' ')} failed:\n${err.stderr ?? ''}${err.stdout ?? ''}`.trim(), { cause: e });
  }
}

/**
 * The CLI skips TLS only for its own default local port (54322); embedded PostgreSQL
 * has no TLS, so a loopback URL on any other port needs sslmode=disable.
 */
export function cliDbUrl(dbUrl: string): string {
  const url = new URL(dbUrl);
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && !url.searchParams.has('sslmode')) {
    url.searchParams.set('sslmode', 'disable');
  }
  return url.toString();
}

/**
 * Apply pending migrations with the pinned CLI, exactly as against hosted Supabase
 * (`supabase db push --db-url … --yes`); with seed, also the seed files once (the CLI
 * records their hashes in supabase_migrations.seed_files).
 */
export async function pushMigrations(dbUrl: string, opts: { seed: boolean }): Promise<string> {
  const args = ['db', 'push', '--db-url', cliDbUrl(dbUrl), '--yes'];
  if (opts.seed) args.push('--include-seed');
  const { stdout, stderr } = await supabaseCli(args);
  return `${stdout}${stderr}`;
}

/**
 * Versions in migrations/ that the database has not recorded in
 * supabase_migrations.schema_migrations (all of them on a new database). When none are
 * pending, `npm start` skips the CLI round trip (about a second, more on a busy machine):
 * `db push` would find nothing to do either.
 */
export async function pendingMigrations(sql: import('postgres').Sql): Promise<string[]> {
  const files = (await fs.readdir(path.join(REPO_ROOT, 'migrations'))).filter((f) => /^\d{14}_.+\.sql$/.test(f));
  const local = files.map((f) => f.slice(0, 14)).sort();
  const [exists] = await sql<{ ok: boolean }[]>`select to_regclass('supabase_migrations.schema_migrations') is not null as ok`;
  if (!exists?.ok) return local;
  const applied = new Set((await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((r) => r.version));
  return local.filter((v) => !applied.has(v));
}
