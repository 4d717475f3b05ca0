/**
 * The connection indicator follows the SDK through a Realtime restart (live →
 * reconnecting/catching up → live), and a change made meanwhile reaches the page
 * without a reload. Restarting a service needs a stack of this test's own.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeService } from '../../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../../stack/src/start.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';
import { seedBoard, type SeededBoard } from './support/seed.ts';
import { testLogFile } from '../support/stack-log.ts';
import { freeStackPorts } from '../support/ports.ts';

describe.skipIf(!hasChromium)('dashboard: connection indicator', () => {
  let root: string;
  let stack: Stack;
  let sql: Sql;
  let org: TestOrg;
  let board: SeededBoard;
  let chrome: RunningBrowser;
  let d: DashboardPage;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-dash-conn-'));
    await fs.chmod(root, 0o755);
    stack = await startStack({ dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true, logFile: testLogFile('dash-conn') });
    sql = postgres(stack.dbUrl, { max: 2, onnotice: () => {} });
    org = await createTestOrg(sql, 'dash-conn');
    board = await seedBoard(sql, org.id);
    chrome = await launchChromium();
    d = await openDashboard(chrome.browser, stack.apiUrl);
  });
  afterAll(async () => {
    await d?.context.close();
    await chrome?.close();
    await sql?.end();
    await stack?.stop();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('shows reconnecting and catching up across a Realtime restart, then live, with the missed change applied', async () => {
    await signIn(d.page, org.operator.email, TEST_PASSWORD);
    await waitLive(d.page);
    const id = board.recommendationIds[0]!;
    await d.page.locator(`[data-rec-id="${id}"][data-status="pending"]`).waitFor({ timeout: 30_000 });
    await d.page.evaluate(`(() => {
      const el = document.querySelector('.conn');
      window.__statuses = [el.dataset.status];
      new MutationObserver(() => window.__statuses.push(el.dataset.status)).observe(el, { attributes: true, attributeFilter: ['data-status'] });
      window.__noReload = true;
    })()`);

    const realtime = stack.services.get('realtime') as RealtimeService;
    await realtime.restart();
    // Written while the page is reconnecting (or just after): delivered live or caught up.
    await sql`update public.recommendations set status = 'rejected', decision_reason = 'changed during the outage', decided_at = now() where id = ${id}`;

    await d.page.locator(`[data-rec-id="${id}"][data-status="rejected"]`).waitFor({ timeout: 60_000 });
    await waitLive(d.page);
    const statuses = await d.page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);
    expect(statuses[0]).toBe('live');
    expect(statuses.some((s) => s === 'reconnecting' || s === 'catching-up' || s === 'connecting')).toBe(true);
    expect(statuses[statuses.length - 1]).toBe('live');
    expect(await d.page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await screenshot(d.page, 'after-realtime-restart', false);
    expect(d.foreign()).toEqual([]);
  });
});
