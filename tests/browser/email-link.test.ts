/** An email link opened from the local inbox's web page lands on the dashboard signed in. */
import { createClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestOrg } from '../support/fixtures.ts';
import { CHROMIUM_PATH, ENABLE_COMMAND, hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { screenshot } from './support/dashboard.ts';

if (!hasChromium) {
  describe(`email link browser test — SKIPPED: ${CHROMIUM_PATH} missing; enable with \`${ENABLE_COMMAND}\``, () => {
    it.skip(`magic link from the inbox (needs Chromium: ${ENABLE_COMMAND})`, () => {});
  });
}

describe.skipIf(!hasChromium || !inject('stack').mailUrl)('inbox → magic link → dashboard', () => {
  const stack = inject('stack');
  const sql = postgres(stack.dbUrl, { max: 1, onnotice: () => {} });
  let chrome: RunningBrowser;
  beforeAll(async () => { chrome = await launchChromium(); });
  afterAll(async () => { await chrome?.close(); await sql.end(); });

  it('opens the message in the catcher\'s page, follows its link and is signed in on the configured redirect', async () => {
    const org = await createTestOrg(sql, 'maillink');
    const supabase = createClient(stack.apiUrl, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never },
    });
    const redirect = `${stack.apiUrl}/dashboard/`;
    const { error } = await supabase.auth.signInWithOtp({ email: org.viewer.email, options: { shouldCreateUser: false, emailRedirectTo: redirect } });
    expect(error).toBeNull();

    const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 } });
    try {
      const page = await context.newPage();
      // Chromium says on the console when it blocks a frame's navigation: kept for the diagnostics below.
      const consoleLines: string[] = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      await page.goto(`${stack.mailUrl}/`);
      const row = page.locator('tr', { hasText: org.viewer.email });
      await expect.poll(async () => { await page.reload(); return row.count(); }, { timeout: 20_000 }).toBeGreaterThan(0);
      await row.first().getByRole('link', { name: 'Your Magic Link' }).click();
      await page.waitForURL(/\/view\//);
      const logIn = page.frameLocator('iframe[title="Message body"]').getByRole('link', { name: 'Log In' });
      await logIn.click();
      // In two fresh-clone CI runs (2026-12-07) this first click started no navigation: the page
      // stayed on the message view, its console naming no blocked navigation, as if the click
      // never reached the link (a guess, not proven: Chromium may render the sandboxed frame in a
      // process of its own, and a click sent just after it loads be hit-tested before that
      // frame's hit-test data exists). A person whose click did nothing clicks again; so does this.
      let clicks = 1;
      await page.waitForURL((u) => !u.pathname.startsWith('/view/'), { timeout: 10_000 }).catch(async () => {
        if (!new URL(page.url()).pathname.startsWith('/view/')) return;
        clicks++;
        await logIn.click({ timeout: 5_000 }).catch(() => {});
      });

      // Once in 1,388 tests (a fresh-clone CI run) no topbar came within 60 s and nothing said
      // why: on a timeout, say where the page landed and keep a screenshot.
      await page.waitForSelector('header.topbar', { timeout: 60_000 }).catch(async (e: unknown) => {
        await screenshot(page, 'email-link-no-topbar', false).catch(() => {});
        const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 300);
        throw new Error(`no dashboard topbar after the magic link; page at ${page.url().replace(/(access_token|refresh_token)=[^&]+/g, '$1=…')} showing "${text}" after ${clicks} click(s); page console: ${JSON.stringify(consoleLines)}`, { cause: e });
      });
      expect(page.url().startsWith(redirect)).toBe(true);
      expect(page.url()).not.toContain('access_token'); // supabase-js took the session out of the fragment
      await expect.poll(() => page.locator('.org').textContent(), { timeout: 20_000 }).toContain(`Test ${org.slug}`);
      const stored = await page.evaluate(() => localStorage.getItem('hotwatch-dashboard-auth'));
      expect(JSON.parse(stored ?? '{}')).toMatchObject({ user: { email: org.viewer.email } });
      await screenshot(page, 'email-link-signed-in', false);
    } finally {
      await context.close();
    }
  });
});
