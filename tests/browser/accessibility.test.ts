/**
 * Accessibility and layout: axe-core finds no serious or critical violation on the
 * sign-in page or the populated board, every control is reachable with Tab, and
 * neither 1366×768 nor 820×1180 scrolls sideways. Screenshots go to test-results/browser/.
 */
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';
import { seedBoard, type SeededBoard } from './support/seed.ts';

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.skipIf(!hasChromium)('dashboard: accessibility and viewports', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let board: SeededBoard;

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-a11y');
    board = await seedBoard(sql, org.id);
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('the sign-in page has no serious or critical axe violations', async () => {
    const d = await openDashboard(chrome.browser, apiUrl, { bypassCSP: true });
    try {
      await d.page.waitForSelector('#email');
      expect(await axe(d.page)).toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  for (const viewport of [{ width: 1366, height: 768 }, { width: 820, height: 1180 }]) {
    it(`the populated board at ${viewport.width}×${viewport.height}: axe clean, keyboard-reachable, no horizontal scroll`, async () => {
      const d: DashboardPage = await openDashboard(chrome.browser, apiUrl, { viewport, bypassCSP: true });
      try {
        await signIn(d.page, org.operator.email, TEST_PASSWORD);
        await waitLive(d.page);
        await d.page.waitForSelector(`.hotspot[data-hotspot-id="${board.hotspotIds[0]}"]`, { timeout: 30_000 });
        await d.page.waitForSelector(`[data-rec-id="${board.recommendationIds[0]}"]`, { timeout: 30_000 });
        // Open one decision form and select a hotspot, so their controls are checked too.
        await d.page.locator(`[data-rec-id="${board.recommendationIds[0]}"]`).getByRole('button', { name: 'Reject…' }).click();
        await d.page.locator(`.hotspot[data-hotspot-id="${board.hotspotIds[1]}"]`).click();
        await d.page.locator('[data-field="p-value"]').waitFor();

        expect(await horizontalOverflow(d.page)).toBeLessThanOrEqual(0);
        await screenshot(d.page, `board-${viewport.width}x${viewport.height}`, false);
        await screenshot(d.page, `board-${viewport.width}x${viewport.height}-full`);
        expect(await axe(d.page)).toEqual([]);
        expect(await unreachableByKeyboard(d.page)).toEqual([]);
        expect(d.errors).toEqual([]);
      } finally {
        await d.context.close();
      }
    });
  }

  it('hotspots on the map are operable from the keyboard', async () => {
    const d = await openDashboard(chrome.browser, apiUrl);
    try {
      await signIn(d.page, org.operator.email, TEST_PASSWORD);
      const hs = d.page.locator(`.hotspot[data-hotspot-id="${board.hotspotIds[0]}"]`);
      await hs.waitFor({ timeout: 30_000 });
      await hs.focus();
      await d.page.keyboard.press('Enter');
      await expect(hs.getAttribute('aria-pressed')).resolves.toBe('true');
      await expect(d.page.locator('[data-field="scan-run"]').textContent()).resolves.toContain(`run #${board.scanRunId}`);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
