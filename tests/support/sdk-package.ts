/**
 * The SDK as users get it: `npm pack` (its prepack builds dist/), a fresh project that
 * installs the tarball beside pinned supabase-js and ws, and the size of what it ships.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../stack/src/config.ts';

const run = promisify(execFile);
export const SDK_DIR = path.join(REPO_ROOT, 'client-sdk');
/** The SDK's bundle-size gate: min+gzip of what an app bundles, supabase-js external. */
export const BUNDLE_GATE_BYTES = 15 * 1024;

/** npm settings that `npm test` or `npm run` pass down and that would point a child npm at this repo. */
function npmEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|command$|config_(workspaces?|include_workspace_root|local_prefix|prefix)$)/i.test(k)) delete env[k];
  }
  return env;
}

function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
}

/** Build dist/ as the package's prepack does (for measuring without packing). */
export async function buildSdk(): Promise<void> {
  await npm(['run', 'build'], SDK_DIR);
}

export interface PackedSdk { tarball: string; integrity: string; version: string; files: string[] }

/** `npm pack` into `dest` (prepack builds dist/ first); the tarball's path, integrity and file list. */
export async function packSdk(dest: string): Promise<PackedSdk> {
  const { stdout } = await npm(['pack', '--json', '--pack-destination', dest], SDK_DIR);
  // prepack's own output precedes the JSON array.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as { filename: string; integrity: string; version: string; files: { path: string }[] }[];
  return { tarball: path.join(dest, info!.filename), integrity: info!.integrity, version: info!.version, files: info!.files.map((f) => f.path).sort() };
}

interface LockEntry { version?: string; resolved?: string; integrity?: string; dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean; devOptional?: boolean; peer?: boolean; [k: string]: unknown }
interface Lockfile { name?: string; lockfileVersion: number; requires?: boolean; packages: Record<string, LockEntry> }

/** Where Node's lookup from lock path `from` finds `name` (nested node_modules first, then up). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const p = `${dir ? dir + '/' : ''}node_modules/${name}`;
    if (packages[p]) return p;
    if (!dir) return undefined;
  }
}

/**
 * A lockfile for a project that depends on `deps` (names) and the packed SDK: the
 * entries of `deps` and everything they need, copied from the repo's lockfile with
 * their integrity, so `npm ci` takes them from the npm cache the repo's install filled.
 */
export function consumerLock(root: Lockfile, deps: string[], sdk: PackedSdk, tarballSpec: string): { lock: Lockfile; versions: Record<string, string> } {
  const packages: Record<string, LockEntry> = {};
  const queue = deps.map((d) => ({ from: '', name: d, optional: false }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const at = locate(root.packages, next.from, next.name);
    if (!at) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.from || 'the project'}) is not in package-lock.json`);
    }
    if (packages[at]) continue;
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = root.packages[at]!;
    packages[at] = entry;
    for (const n of Object.keys(entry.dependencies ?? {})) queue.push({ from: at, name: n, optional: false });
    for (const n of Object.keys(entry.optionalDependencies ?? {})) queue.push({ from: at, name: n, optional: true });
    for (const n of Object.keys(entry.peerDependencies ?? {})) queue.push({ from: at, name: n, optional: entry.peerDependenciesMeta?.[n]?.optional === true });
  }
  const versions = Object.fromEntries(deps.map((d) => [d, packages[`node_modules/${d}`]!.version!]));
  const dependencies = { '@hotwatch/client': tarballSpec, ...versions };
  packages['node_modules/@hotwatch/client'] = { version: sdk.version, resolved: tarballSpec, integrity: sdk.integrity };
  return { lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer', dependencies }, ...packages } }, versions };
}

/**
 * A fresh project in `dir` with the packed SDK, supabase-js and ws at the repo's
 * pinned versions, installed with `npm ci --prefer-offline` (cached tarballs, no
 * registry round trip for them).
 */
export async function installConsumer(dir: string, sdk: PackedSdk): Promise<Record<string, string>> {
  await fs.mkdir(dir, { recursive: true });
  const root = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const spec = `file:${path.relative(dir, sdk.tarball)}`;
  const { lock, versions } = consumerLock(root, ['@supabase/supabase-js', 'ws'], sdk, spec);
  const pkg = { name: 'consumer', private: true, type: 'module', dependencies: lock.packages['']!.dependencies };
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  await fs.writeFile(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await npm(['ci', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  return versions;
}

/** min and min+gzip bytes of `entry` bundled as an app would (esbuild, browser ESM, supabase-js external). */
export async function bundleSize(entry: string, cwd: string = REPO_ROOT): Promise<{ min: number; gzip: number }> {
  const out = await build({
    entryPoints: [entry], absWorkingDir: cwd,
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false,
    external: ['@supabase/supabase-js'], treeShaking: true, logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { min: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}
