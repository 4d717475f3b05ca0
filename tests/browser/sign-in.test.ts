/** Sign-in through supabase-js auth, the page's own-origin guarantee and the served shell. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD } from '../../stack/src/demo.ts';
import { CHROMIUM_PATH, ENABLE_COMMAND, hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';

if (!hasChromium) {
  describe(`dashboard browser tests — SKIPPED: ${CHROMIUM_PATH} missing; enable with \`${ENABLE_COMMAND}\``, () => {
    it.skip(`sign-in (needs Chromium: ${ENABLE_COMMAND})`, () => {});
  });
}

/** GET with the path sent exactly as written (fetch would normalise dot segments). */
function rawStatus(url: string): Promise<number> {
  const u = new URL(url);
  const rawPath = url.slice(u.origin.length);
  return new Promise((resolve, reject) => {
    http.get({ host: u.hostname, port: u.port, path: rawPath }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

describe.skipIf(!hasChromium)('dashboard: sign-in', () => {
  let apiUrl: string;
  let anonKey: string;
  let chrome: RunningBrowser;
  beforeAll(async () => {
    ({ apiUrl, anonKey } = inject('stack'));
    chrome = await launchChromium();
  });
  afterAll(async () => { await chrome?.close(); });

  it('serves the app shell at /dashboard/ with a same-origin CSP, and config.json with the anon key', async () => {
    const redirect = await fetch(`${apiUrl}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/dashboard/');
    const shell = await fetch(`${apiUrl}/dashboard/`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toMatch(/text\/html/);
    expect(shell.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await shell.text()).toMatch(/<script type="module" crossorigin src="\/dashboard\/assets\//);
    const config = (await (await fetch(`${apiUrl}/dashboard/config.json`)).json()) as { anonKey: string };
    expect(config.anonKey).toBe(anonKey);
    expect(await rawStatus(`${apiUrl}/dashboard/..%2f..%2fpackage.json`)).toBe(404);
    expect((await fetch(`${apiUrl}/dashboard/.build-hash`)).status).toBe(404);
  });

  it('refuses a wrong password, then signs the demo operator in and out', async () => {
    const d = await openDashboard(chrome.browser, apiUrl);
    try {
      await d.page.getByLabel('Email').fill('operator@northside.demo');
      await d.page.getByLabel('Password').fill('not-the-password');
      await d.page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => d.page.locator('#signin-error').textContent(), { timeout: 20_000 }).toBe('Wrong email or password.');
      await screenshot(d.page, 'sign-in-error', false);

      await signIn(d.page, 'operator@northside.demo', DEMO_PASSWORD);
      await expect.poll(() => d.page.locator('.org').textContent(), { timeout: 20_000 }).toContain('Northside City Operations');
      await expect(d.page.locator('.org .role').textContent()).resolves.toBe('operator');
      await waitLive(d.page);
      await expect(d.page.locator('#scan-now').isEnabled()).resolves.toBe(true);
      await screenshot(d.page, 'signed-in-northside');

      // The session survives a reload (supabase-js persists it) …
      await d.page.reload();
      await d.page.waitForSelector('header.topbar', { timeout: 30_000 });
      // … and signing out returns to the form.
      await d.page.getByRole('button', { name: 'Sign out' }).click();
      await d.page.waitForSelector('#email', { timeout: 20_000 });

      expect(d.errors).toEqual([]);
      expect(d.foreign()).toEqual([]);
      expect(d.requests.some((u) => u.includes('/auth/v1/token'))).toBe(true);
    } finally {
      await d.context.close();
    }
  });

  it('offers "Run demo" to the demo org (Northside) only, not to Harbor', async () => {
    for (const [email, shown, name] of [['operator@northside.demo', true, 'Northside'], ['operator@harbor.demo', false, 'Harbor']] as const) {
      const d = await openDashboard(chrome.browser, apiUrl);
      try {
        await signIn(d.page, email, DEMO_PASSWORD);
        await waitLive(d.page);
        // The org rows (names, is_demo) have arrived once the name shows.
        await expect.poll(() => d.page.locator('body').textContent(), { timeout: 15_000 }).toContain(name);
        await expect.poll(() => d.page.locator('#run-demo').isVisible(), { timeout: 15_000 }).toBe(shown);
        await expect(d.page.locator('#scan-now').isVisible()).resolves.toBe(true);
      } finally {
        await d.context.close();
      }
    }
  });

  it('gives a viewer no action controls', async () => {
    const d = await openDashboard(chrome.browser, apiUrl);
    try {
      await signIn(d.page, 'viewer@northside.demo', DEMO_PASSWORD);
      await waitLive(d.page);
      await expect(d.page.locator('#scan-now').isDisabled()).resolves.toBe(true);
      await expect(d.page.locator('#run-demo').isDisabled()).resolves.toBe(true);
      await expect(d.page.getByText('View only: operators approve and reject recommendations.').count()).resolves.toBe(1);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
