/**
 * Builds the dashboard (Vite's JS API) when dashboard/dist is missing or was built
 * from other sources. "Other" is decided by a content hash of the sources (dashboard,
 * the client SDK and the after-action module it bundles, and the bundled libraries' versions), not by mtimes, so a
 * fresh clone, a branch switch or an edit all rebuild and a warm start costs a few
 * file reads. Builds go to a private directory and are swapped in, so two processes
 * building at once (npm start beside a test run) never serve a half-written dist.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../config.ts';
import type { Logger } from '../log.ts';

export const DASHBOARD_DIR = path.join(REPO_ROOT, 'dashboard');
export const DIST_DIR = path.join(DASHBOARD_DIR, 'dist');
/** Written into dist after a successful build: the hash of the sources it was built from. */
export const BUILD_STAMP = '.build-hash';

const SOURCE_ROOTS = ['dashboard/index.html', 'dashboard/vite.config.ts', 'dashboard/src', 'dashboard/public', 'client-sdk/src', 'client-sdk/package.json', 'after-action'];
const BUNDLED_PACKAGES = ['vite', '@supabase/supabase-js', 'h3-js', 'uplot', 'csv-stringify', 'maplibre-gl', 'pmtiles'];

async function listFiles(p: string): Promise<string[]> {
  const st = await fs.stat(p).catch(() => null);
  if (!st) return [];
  if (st.isFile()) return [p];
  const out: string[] = [];
  for (const e of await fs.readdir(p, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    out.push(...(await listFiles(path.join(p, e.name))));
  }
  return out;
}

/** Hash of everything the bundle is made from. */
export async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await Promise.all(SOURCE_ROOTS.map((r) => listFiles(path.join(REPO_ROOT, r))))).flat().sort();
  for (const f of files) {
    hash.update(path.relative(REPO_ROOT, f)).update('\0').update(await fs.readFile(f)).update('\0');
  }
  for (const name of BUNDLED_PACKAGES) {
    const pkg = await fs.readFile(path.join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8').catch(() => '{}');
    hash.update(`${name}@${(JSON.parse(pkg) as { version?: string }).version ?? '?'}\0`);
  }
  return hash.digest('hex');
}

export async function builtHash(): Promise<string | null> {
  return fs.readFile(path.join(DIST_DIR, BUILD_STAMP), 'utf8').then((s) => s.trim(), () => null);
}

/**
 * `vite build` in a child process. In the stack's own process a build left ≈ 380 MB of
 * RSS behind for the life of the stack (its bundler's heap and native memory: the soak's
 * stack process ran at 548 MB on a fresh clone against 165 MB with the dashboard already
 * built); a child gives all of it back when it exits.
 */
async function viteBuild(outDir: string): Promise<void> {
  const cli = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = [cli, 'build', DASHBOARD_DIR, '--config', path.join(DASHBOARD_DIR, 'vite.config.ts'),
    '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer): void => { output = (output + d.toString()).slice(-8000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`vite build ended with ${signal ?? `exit code ${code}`}: ${output.trim()}`));
    });
  });
}

export interface BuildOutcome {
  built: boolean;
  ms: number;
  hash: string;
}

/** Build unless dist is current. Throws when the build fails (the caller decides what to serve). */
export async function ensureDashboardBuilt(log: Logger, opts: { force?: boolean } = {}): Promise<BuildOutcome> {
  const t0 = performance.now();
  const hash = await sourceHash();
  if (!opts.force && (await builtHash()) === hash) return { built: false, ms: Math.round(performance.now() - t0), hash };

  log.info('building the dashboard (vite)…');
  // .tmp/ is git-ignored and on the same file system as dist (rename must not cross devices).
  await fs.mkdir(path.join(REPO_ROOT, '.tmp'), { recursive: true });
  const tmp = path.join(REPO_ROOT, '.tmp', `dashboard-dist-${process.pid}-${Date.now().toString(36)}`);
  try {
    await viteBuild(tmp);
    await fs.writeFile(path.join(tmp, BUILD_STAMP), hash + '\n');
    // Swap: move the old dist aside, move ours in. A concurrent builder may win the
    // race; then its dist (built from the same sources) stays and ours is dropped.
    const old = `${tmp}-old`;
    await fs.rename(DIST_DIR, old).catch(() => {});
    await fs.rename(tmp, DIST_DIR).catch(() => {});
    await fs.rm(old, { recursive: true, force: true });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const ms = Math.round(performance.now() - t0);
  log.info(`dashboard built in ${ms} ms`);
  return { built: true, ms, hash };
}
