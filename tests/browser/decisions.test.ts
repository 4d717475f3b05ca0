/**
 * Two dashboards of one org: what an operator decides in one shows up in the other
 * live, without a reload (the latency is measured by bench/dashboard.bench.ts, not here).
 */
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';
import { seedBoard, type SeededBoard } from './support/seed.ts';

/** A marker that a reload or navigation would wipe. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => { (window as unknown as { __noReload: boolean }).__noReload = true; });
}
async function stillSamePage(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);
}

describe.skipIf(!hasChromium)('dashboard: decisions reach every open dashboard', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let board: SeededBoard;
  let a: DashboardPage;
  let b: DashboardPage;

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-decide');
    board = await seedBoard(sql, org.id);
    chrome = await launchChromium();
    a = await openDashboard(chrome.browser, apiUrl);
    b = await openDashboard(chrome.browser, apiUrl);
    await signIn(a.page, org.operator.email, TEST_PASSWORD);
    await signIn(b.page, org.viewer.email, TEST_PASSWORD);
    await Promise.all([waitLive(a.page), waitLive(b.page)]);
    for (const d of [a, b]) {
      await d.page.waitForSelector(`[data-rec-id="${board.recommendationIds[0]}"][data-status="pending"]`, { timeout: 30_000 });
      await markPage(d.page);
    }
  });
  afterAll(async () => {
    await a?.context.close();
    await b?.context.close();
    await chrome?.close();
    await sql?.end();
  });

  it('an approval with a reason in one dashboard shows in the other without a reload', async () => {
    const id = board.recommendationIds[0]!;
    const item = a.page.locator(`[data-rec-id="${id}"]`);
    await item.getByRole('button', { name: 'Approve…' }).click();
    await item.getByLabel('Reason (optional)').fill('Crew already nearby');
    await item.getByRole('button', { name: 'Confirm approval' }).click();

    const other = b.page.locator(`[data-rec-id="${id}"][data-status="approved"]`);
    await other.waitFor({ timeout: 30_000 });
    await expect(other.locator('[data-field="decision"]').textContent()).resolves.toContain('Crew already nearby');
    expect(await stillSamePage(b.page)).toBe(true);
    await a.page.locator(`[data-rec-id="${id}"][data-status="approved"]`).waitFor({ timeout: 30_000 });

    const [row] = await sql<{ status: string; decision_reason: string; decided_by: string }[]>`
      select status, decision_reason, decided_by from public.recommendations where id = ${id}`;
    expect(row).toEqual({ status: 'approved', decision_reason: 'Crew already nearby', decided_by: org.operator.id });
    const audit = await sql`select action from public.decisions where recommendation_id = ${id}`;
    expect(audit.map((r) => r.action)).toEqual(['approve']);
    await screenshot(b.page, 'decision-seen-by-second-dashboard');
  });

  it('a rejection needs a reason, and the reason reaches the other dashboard', async () => {
    const id = board.recommendationIds[1]!;
    const item = a.page.locator(`[data-rec-id="${id}"]`);
    await item.getByRole('button', { name: 'Reject…' }).click();
    await item.getByRole('button', { name: 'Confirm rejection' }).click();
    await expect.poll(() => item.getByRole('alert').textContent()).toBe('A reason is required to reject.');
    await item.getByLabel('Reason for rejecting (required)').fill('Duplicate of the approved action');
    await item.getByRole('button', { name: 'Confirm rejection' }).click();

    const other = b.page.locator(`[data-rec-id="${id}"][data-status="rejected"]`);
    await other.waitFor({ timeout: 30_000 });
    await expect(other.locator('[data-field="decision"]').textContent()).resolves.toContain('Duplicate of the approved action');
    expect(await stillSamePage(b.page)).toBe(true);
  });

  it('acknowledging and resolving an alert show in the other dashboard', async () => {
    const id = board.alertIds[2]!;
    const item = a.page.locator(`[data-alert-id="${id}"]`);
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await b.page.locator(`[data-alert-id="${id}"][data-state="acknowledged"]`).waitFor({ timeout: 30_000 });
    await a.page.locator(`[data-alert-id="${id}"][data-state="acknowledged"]`).getByRole('button', { name: 'Resolve' }).click();
    // Resolved alerts leave the active feed; "Show resolved" brings them back.
    await b.page.locator(`[data-alert-id="${id}"]`).waitFor({ state: 'detached', timeout: 30_000 });
    await b.page.getByLabel('Show resolved').check();
    await b.page.locator(`[data-alert-id="${id}"][data-state="resolved"]`).waitFor({ timeout: 10_000 });
    expect(await stillSamePage(b.page)).toBe(true);
    expect(a.errors.concat(b.errors)).toEqual([]);
    expect(a.foreign().concat(b.foreign())).toEqual([]);
  });
});
