/**
 * Accessibility and layout: axe-core finds no serious or critical violation on the
 * sign-in page or the populated board, every control is reachable with Tab, and
 * neither 1366×768 nor 820×1180 scrolls sideways. Screenshots go to test-results/browser/.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../stack/src/config.ts';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';
import { seedBoard, type SeededBoard } from './support/seed.ts';

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }

let axeSource: string | undefined;
async function axe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await fs.readFile(path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Tab from the top of the page; answer the focusable controls that were never reached. */
async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const total = await page.evaluate(() => {
    const sel = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const els = [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      return !el.closest('[hidden]') && style.visibility !== 'hidden' && style.display !== 'none' && (r.width > 0 || r.height > 0 || el.classList.contains('skip-link'));
    });
    els.forEach((el, i) => el.setAttribute('data-kbd', String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    return els.length;
  });
  const seen = new Set<string>();
  for (let i = 0; i < total + 10; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('data-kbd') ?? null);
    if (k !== null) seen.add(k);
  }
  return page.evaluate((reached) => [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
    .filter((el) => !reached.includes(el.getAttribute('data-kbd')!))
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`), [...seen]);
}

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
