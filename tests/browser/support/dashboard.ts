/** Page-level helpers for the dashboard tests: open, sign in, record requests, screenshots. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT } from '../../../stack/src/config.ts';

export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-results', 'browser');

export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** Every URL the page requested (documents, scripts, fetches, WebSockets). */
  requests: string[];
  /** Requested URLs whose origin is not the API's. */
  foreign(): string[];
  /** Uncaught page errors. */
  errors: string[];
}

export async function openDashboard(browser: Browser, apiUrl: string, opts: {
  viewport?: { width: number; height: number };
  /** Only for injecting axe-core, which the page's CSP would refuse. */
  bypassCSP?: boolean;
  /** Browser permissions granted to the dashboard's origin (e.g. 'notifications'). */
  permissions?: string[];
  /** A script run in the page before the dashboard's own. */
  initScript?: string;
} = {}): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1366, height: 768 }, bypassCSP: opts.bypassCSP ?? false });
  if (opts.permissions) await context.grantPermissions(opts.permissions, { origin: new URL(apiUrl).origin });
  if (opts.initScript) await context.addInitScript(opts.initScript);
  const page = await context.newPage();
  const origin = new URL(apiUrl).origin;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${apiUrl}/dashboard/`);
  return {
    context, page, requests, errors,
    foreign: () => requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:' || u === 'about:blank') return false;
      const asHttp = url.protocol === 'ws:' ? `http://${url.host}` : url.protocol === 'wss:' ? `https://${url.host}` : url.origin;
      return asHttp !== origin;
    }),
  };
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('header.topbar', { timeout: 30_000 });
}

export async function waitLive(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForSelector('.conn[data-status="live"]', { timeout });
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await fs.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
