/**
 * The SDK as a user installs it: `npm pack` (prepack builds dist/), a fresh project in
 * the OS temp directory with the tarball, supabase-js and ws only (the repo's pinned
 * versions, from the npm cache), then a plain-`node` script that subscribes, goes live
 * and receives a row the service role inserts; `tsc --strict` on a consumer file; and
 * the bundle-size gate on the shipped JavaScript.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, TEST_PASSWORD } from '../../support/fixtures.ts';
import { serviceClient } from '../rest/helpers.ts';
import { BUNDLE_GATE_BYTES, bundleSize, installConsumer, packSdk, type PackedSdk } from '../../support/sdk-package.ts';

const info = inject('stack');
const sql = adminSql(2);
const here = path.dirname(fileURLToPath(import.meta.url));
let dir: string;
let app: string;
let sdk: PackedSdk;
let versions: Record<string, string>;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-sdk-pack-'));
  app = path.join(dir, 'app');
  sdk = await packSdk(dir);
  versions = await installConsumer(app, sdk);
  for (const f of ['live.mjs', 'consumer.ts']) await fs.copyFile(path.join(here, 'consumer', f), path.join(app, f));
});

afterAll(async () => {
  await sql.end();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** The environment of a user's shell: no TypeScript loader or npm settings inherited from the test runner. */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|npm_|VITEST|TSX)/i.test(k)));
  return { ...env, ...extra };
}

describe('the packed SDK', () => {
  it('ships the built JavaScript, declarations (with the generated Database types) and source maps, and no sources', () => {
    expect(sdk.files).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map',
      'dist/react.js', 'dist/react.d.ts', 'dist/database.types.d.ts',
    ]));
    expect(sdk.files.filter((f) => !/^(dist\/[\w.-]+\.(js|d\.ts|js\.map)|package\.json|README\.md)$/.test(f))).toEqual([]);
    expect(versions).toEqual({ '@supabase/supabase-js': expect.stringMatching(/^2\./), ws: expect.stringMatching(/^8\./) });
  });

  it('runs from plain node in a fresh project: subscribe, live, and a row the service role inserts arrives', async () => {
    const org = await createTestOrg(sql, 'sdk-packed');
    const child = spawn(process.execPath, ['live.mjs'], {
      cwd: app,
      env: userEnv({
        SUPABASE_URL: info.apiUrl, SUPABASE_ANON_KEY: info.anonKey, HOTWATCH_EMAIL: org.viewer.email, HOTWATCH_PASSWORD: TEST_PASSWORD,
        HOTWATCH_ORG_ID: org.id, TIMEOUT_MS: '90000',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines: Record<string, unknown>[] = [];
    const live = new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (l) => {
        const msg = JSON.parse(l) as Record<string, unknown>;
        lines.push(msg);
        if (msg.status === 'live') resolve();
      });
      void exited.then((code) => reject(new Error(`the script exited (${code}) before live: ${stderr}`)));
    });
    try {
      await live;
      const now = Date.now();
      const { data, error } = await serviceClient().from('hotspots').insert({
        org_id: org.id, category: 'fire', dedup_key: 'packed', severity: 'high', model: 'expectation_poisson',
        cells: ['882830828dfffff'], center_cell: '882830828dfffff', center_lat: 37.77, center_lng: -122.41, radius_m: 600,
        window_start: new Date(now - 3 * 3600_000).toISOString(), window_end: new Date(now).toISOString(),
        observed: 30, expected: 10, relative_risk: 3, score: 12.5, p_value: 0.001, recurrence_interval_days: 41.6,
        // Tomorrow: the schedule's scans leave the row alone for the test's lifetime.
        last_detected_at: new Date(now + 86_400_000).toISOString(),
      }).select('id').single<{ id: number }>();
      expect(error).toBeNull();
      expect(await exited, stderr).toBe(0);
      expect(lines.at(-1)).toEqual({ received: data!.id, version: 1, category: 'fire' });
    } finally {
      child.kill();
    }
  });

  it('type-checks a consumer file with tsc --strict against the shipped declarations', async () => {
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // The repo's @types/node stands in for the app's own: supabase-js's declarations name Buffer and NodeJS.
    const args = [tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--lib', 'es2022,dom', '--types', 'node', '--typeRoots', path.join(REPO_ROOT, 'node_modules', '@types'), 'consumer.ts'];
    const result = await promisify(execFile)(process.execPath, args, { cwd: app, env: userEnv({}) }).then(
      () => 'clean', (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`);
    expect(result).toBe('clean');
  });

  it(`keeps the bundle-size gate on the shipped JavaScript (min+gzip ≤ ${BUNDLE_GATE_BYTES / 1024} kB, supabase-js external)`, async () => {
    const size = await bundleSize('@hotwatch/client', app);
    expect(size.gzip).toBeGreaterThan(1024);
    expect(size.gzip).toBeLessThanOrEqual(BUNDLE_GATE_BYTES);
  });
});
