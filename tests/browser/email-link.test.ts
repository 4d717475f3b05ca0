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
      // In a fresh-clone CI run (2026-12-07) the click started no navigation: the page stayed
      // on the message view (the diagnostic below said so; an earlier timeout, before that
      // diagnostic, said nothing). Cause not found (the link leaves a sandboxed srcdoc frame
      // for _top on the click's user activation); as a person would, click once more if the
      // page has not left the message view within 10 s.
      await page.waitForURL((u) => !u.pathname.startsWith('/view/'), { timeout: 10_000 }).catch(async () => {
        if (!new URL(page.url()).pathname.startsWith('/view/')) return;
        console.warn(`email-link: the first click on "Log In" left the page on the message view; clicking again. Page console: ${JSON.stringify(consoleLines)}`);
        await logIn.click({ timeout: 5_000 }).catch(() => {});
      });

      // Once in 1,388 tests (a fresh-clone CI run) no topbar came within 60 s and nothing said
      // why: on a timeout, say where the page landed and keep a screenshot.
      await page.waitForSelector('header.topbar', { timeout: 60_000 }).catch(async (e: unknown) => {
        await screenshot(page, 'email-link-no-topbar', false).catch(() => {});
        const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 300);
        throw new Error(`no dashboard topbar after the magic link; page at ${page.url().replace(/(access_token|refresh_token)=[^&]+/g, '$1=…')} showing "${text}"; page console: ${JSON.stringify(consoleLines)}`, { cause: e });
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
