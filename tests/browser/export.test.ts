/**
 * The after-action export on the board, in Chromium: a member prepares the export for
 * the default period (the last seven days), downloads the CSV (Playwright's download
 * event) and finds the operator's decision in it with who and why; opens the printable
 * report in a new tab and finds the same decision escaped, styled under the dashboard's
 * real Content-Security-Policy (the report's inline style is allowed by hash) and with
 * the print stylesheet applying on print media. Axe clean on the board and the report.
 */
import fs from 'node:fs/promises';
import { createClient } from '@supabase/supabase-js';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { CSV_COLUMNS } from '../../after-action/index.ts';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';
import { seedBoard } from './support/seed.ts';

const REASON = 'wrong district, "east" <i>not</i> west';

describe.skipIf(!hasChromium)('dashboard: after-action export', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let rejected: number;

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-export');
    const board = await seedBoard(sql, org.id, { recommendationsPerAlert: 1 });
    rejected = board.recommendationIds[0]!;
    // A real decision through the decisions function, by the org's operator.
    const op = createClient(stack.apiUrl, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    });
    const signed = await op.auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    expect(signed.error).toBeNull();
    const { error } = await op.functions.invoke('decisions', { body: { action: 'reject', recommendation_id: rejected, reason: REASON } });
    expect(error).toBeNull();
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  async function prepare(page: Page): Promise<void> {
    await signIn(page, org.viewer.email, TEST_PASSWORD);
    await waitLive(page);
    const panel = page.getByRole('region', { name: 'After-action export' });
    await panel.getByRole('button', { name: 'Prepare export' }).click();
    await expect.poll(() => page.locator('#export-status').textContent(), { timeout: 30_000 }).toMatch(/^Export ready: 3 hotspots, 3 alerts, \d+ lifecycle steps, 3 recommendations, 1 decision\.$/);
  }

  it('a viewer downloads the CSV and opens the printable report; axe clean', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await prepare(d.page);
      const [download] = await Promise.all([d.page.waitForEvent('download'), d.page.getByRole('link', { name: 'Download CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^hotwatch-test-dash-export-[0-9a-f]{8}-\\d{4}-\\d{2}-\\d{2}-to-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
      const text = await fs.readFile((await download.path())!, 'utf8');
      const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
      expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
      const decisions = rows.filter((r) => r.section === 'decision');
      expect(decisions).toEqual([expect.objectContaining({
        event: 'reject', actor_id: org.operator.id, actor: org.operator.email, recommendation_id: String(rejected), reason: REASON, status: 'pending -> rejected',
      })]);
      const [dbDecision] = await sql`select created_at from public.decisions where org_id = ${org.id}`;
      expect(Date.parse(decisions[0]!.at!)).toBe((dbDecision!.created_at as Date).getTime());
      expect(rows.filter((r) => r.section === 'alert')).toHaveLength(3);
      expect(await axe(d.page)).toEqual([]);
      await screenshot(d.page, 'export-panel', true);

      const [report] = await Promise.all([d.context.waitForEvent('page'), d.page.getByRole('link', { name: /Open printable report/ }).click()]);
      await report.waitForLoadState();
      await report.getByRole('heading', { level: 1, name: /^After-action report: Test dash-export-/ }).waitFor();
      const decisionLog = report.getByRole('table', { name: 'Every decision made in the period, oldest first' });
      await expect(decisionLog.locator('tbody tr td').allTextContents()).resolves.toEqual([
        expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/), org.operator.email, 'reject', `recommendation ${rejected}`, 'pending → rejected', REASON,
      ]);
      expect(await report.locator('i').count()).toBe(0); // the reason's markup is text, not markup
      expect(await axe(report)).toEqual([]);
      await screenshot(report, 'export-report', true);
      await report.emulateMedia({ media: 'print' });
      expect(await report.evaluate(() => getComputedStyle(document.body).marginTop)).toBe('0px');
      await report.close();
      expect(d.errors).toEqual([]);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it('the report is styled under the dashboard\'s real Content-Security-Policy', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl);
    try {
      const refused: string[] = [];
      d.page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refused.push(m.text()); });
      await prepare(d.page);
      const [report] = await Promise.all([d.context.waitForEvent('page'), d.page.getByRole('link', { name: /Open printable report/ }).click()]);
      report.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) refused.push(m.text()); });
      await report.waitForLoadState();
      await report.getByRole('heading', { level: 1 }).waitFor();
      // REPORT_CSS: th { background: #eee } — only there when the inline style was allowed.
      expect(await report.evaluate(() => getComputedStyle(document.querySelector('th')!).backgroundColor)).toBe('rgb(238, 238, 238)');
      expect(refused).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
