/**
 * Debian's Chromium (/usr/bin/chromium, installed by `npm run setup`), started with the
 * exact flags the dashboard tests promise and a fresh profile, then driven by
 * playwright-core over CDP. No browser is downloaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.HOTWATCH_CHROMIUM ?? '/usr/bin/chromium';
/**
 * The map is WebGL (MapLibre): no GPU here, so WebGL runs on SwiftShader through ANGLE.
 * Chromium blocks that software fallback unless asked (`--enable-unsafe-swiftshader`,
 * since Chromium 137) and may blocklist the "GPU" (`--ignore-gpu-blocklist`); no
 * `--disable-gpu`, which would leave WebGL to chance.
 */
export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
] as const;
export const ENABLE_COMMAND = 'npm run setup';

export const hasChromium = fs.existsSync(CHROMIUM_PATH);

export const SKIP_BANNER = [
  '',
  '#'.repeat(78),
  `#  BROWSER TESTS SKIPPED: ${CHROMIUM_PATH} is missing.`,
  `#  Install Debian's Chromium with:  ${ENABLE_COMMAND}   (bash .ci/setup-browser.sh)`,
  '#  then run:  npx vitest run --project browser',
  '#'.repeat(78),
  '',
].join('\n');

export interface RunningBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Start Chromium on a free DevTools port with a fresh --user-data-dir and connect to it. */
export async function launchChromium(): Promise<RunningBrowser> {
  const profile = await fsp.mkdtemp(path.join(os.tmpdir(), 'hotwatch-chromium-'));
  const child: ChildProcess = spawn(CHROMIUM_PATH, [
    ...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 30 s:\n${err.slice(-2000)}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}):\n${err.slice(-2000)}`)); });
  });
  child.stderr!.resume();
  const browser = await chromium.connectOverCDP(endpoint);
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await fsp.rm(profile, { recursive: true, force: true }).catch(() => {});
    },
  };
}
