/**
 * The Notifications page and the board's silences in Chromium: an admin adds a webhook
 * pointed at a local receiver (127.0.0.1; the local config allows private targets),
 * sees the generated secret once, sends a test and reads the receiver's 200; the
 * delivery log shows a dead notification with "Re-send", which queues it again; Delete
 * (after a confirmation) removes the channel and its log. The
 * admin creates a silence on the board and sees it active; a viewer sees the same
 * silence but no channel management and no silence form. Axe clean, keyboard-reachable.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { startReceiver, type Receiver } from '../integration/notifications/receiver.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';
import { seedBoard } from './support/seed.ts';

describe.skipIf(!hasChromium)('dashboard: Notifications page and silences', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };
  let rx: Receiver;
  let alertId: number;

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-notify');
    admin = await addMember(sql, org.id, 'admin');
    // Alerts first, so no channel exists yet when they fire: the outbox stays empty.
    alertId = (await seedBoard(sql, org.id, { recommendationsPerAlert: 0 })).alertIds[0]!;
    rx = await startReceiver({ maxRequests: 20 });
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await rx?.close();
    await sql?.end();
  });

  it('an admin adds a webhook, tests it against the receiver, re-sends a dead notification and creates a silence', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Notifications' }).click();
      const channels = d.page.getByRole('table', { name: 'Channels' });
      await channels.waitFor();
      // The board (and its silence form) stays in the DOM, hidden, behind the admin page.
      const form = d.page.getByRole('form', { name: 'Add a webhook' });
      await form.getByLabel('Name', { exact: true }).fill('ops desk');
      await form.getByLabel('URL', { exact: true }).fill(rx.url);
      await form.getByLabel('Minimum severity').selectOption('high');
      await form.getByLabel('grew').uncheck();
      await d.page.getByRole('button', { name: 'Add webhook' }).click();
      await expect.poll(() => d.page.locator('#notify-status').textContent(), { timeout: 30_000 }).toBe('Added the webhook ops desk.');
      const secret = await d.page.locator('#channel-secret code').textContent();
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      const row = channels.locator('tbody tr', { hasText: 'ops desk' });
      await expect.poll(() => row.count()).toBe(1);
      const origin = new URL(rx.url).origin;
      await expect(row.locator('td').allTextContents()).resolves.toEqual(
        ['ops desk', 'webhook', origin, 'high and above; any category; fired, escalated, acknowledged, resolved', 'yes', 'Send test Delete']);
      const [stored] = await sql`select id, rule from public.notification_channels where org_id = ${org.id}`;
      expect(stored!.rule).toEqual({ min_severity: 'high', events: ['fired', 'escalated', 'acknowledged', 'resolved'] });

      await d.page.getByRole('button', { name: 'Send test to ops desk' }).click();
      await expect.poll(() => d.page.locator('#notify-status').textContent(), { timeout: 30_000 })
        .toMatch(/^Test to ops desk: delivered, HTTP 200: answer 200, in \d+ ms\.$/);
      expect(rx.got.map((g) => g.body.event)).toEqual(['test']);

      // A notification that ran out of attempts: the log shows it with Re-send.
      const [dead] = await sql<{ id: string }[]>`
        insert into public.notification_outbox (org_id, channel_id, alert_id, event, idempotency_key, alert, status, attempts, last_error, finished_at)
        select org_id, ${stored!.id}, id, 'fired', ${`alert-${alertId}-v1-fired`}, to_jsonb(a), 'dead', 8, 'HTTP 500', now()
          from public.alerts a where id = ${alertId}
        returning id`;
      await d.page.reload();
      await waitLive(d.page);
      const log = d.page.getByRole('table', { name: 'Delivery log' });
      const deadRow = log.locator(`tr[data-outbox-id="${dead!.id}"]`);
      await deadRow.waitFor({ timeout: 20_000 });
      await expect(deadRow.locator('td').nth(3).textContent()).resolves.toBe('dead');
      expect(await axe(d.page)).toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);
      await screenshot(d.page, 'notifications-page', true);
      await d.page.getByRole('button', { name: `Re-send notification ${dead!.id}` }).click();
      await expect.poll(() => d.page.locator('#notify-status').textContent(), { timeout: 30_000 }).toBe(`Notification ${dead!.id} is queued again.`);
      const [requeued] = await sql`select status, attempts from public.notification_outbox where id = ${dead!.id}`;
      expect(['pending', 'delivered']).toContain(requeued!.status);

      // Silences live on the board.
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Board' }).click();
      const panel = d.page.getByRole('region', { name: /^Silences/ });
      await panel.getByText('No active silences').waitFor({ timeout: 20_000 });
      await panel.getByText('New silence…').click();
      await panel.getByLabel('Category').fill('fire');
      await panel.getByLabel('District').fill('Harbour');
      await panel.getByLabel('Minimum severity').selectOption('medium');
      await panel.getByLabel('Reason').fill('Drill at the harbour');
      await panel.getByRole('button', { name: 'Create silence' }).click();
      await expect.poll(() => d.page.locator('#silence-status').textContent(), { timeout: 30_000 }).toMatch(/^Silence created until /);
      const item = panel.getByRole('listitem').filter({ hasText: 'Drill at the harbour' });
      await expect(item.textContent()).resolves.toMatch(/^Active fire, in Harbour, medium and above: Drill at the harbour until /);
      const [silence] = await sql`select category, district, min_severity, created_by, starts_at <= now() as started, ends_at > now() + interval '50 minutes' as ends_later
                                   from public.silences where org_id = ${org.id}`;
      expect(silence).toEqual({ category: 'fire', district: 'Harbour', min_severity: 'medium', created_by: admin.id, started: true, ends_later: true });
      expect(await axe(d.page)).toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);
      await screenshot(d.page, 'board-silences', true);

      // Delete asks first; the channel, its outbox and its log go.
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Notifications' }).click();
      d.page.once('dialog', (dialog) => void dialog.accept());
      await d.page.getByRole('button', { name: 'Delete ops desk' }).click();
      await expect.poll(() => d.page.locator('#notify-status').textContent(), { timeout: 30_000 }).toBe('Deleted ops desk.');
      await expect.poll(() => d.page.getByRole('table', { name: 'Channels' }).locator('tbody tr').count()).toBe(0);
      const [left] = await sql`select (select count(*) from public.notification_channels where org_id = ${org.id})::int as channels,
                                      (select count(*) from public.notification_outbox where org_id = ${org.id})::int as outbox`;
      expect(left).toEqual({ channels: 0, outbox: 0 });
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it('a viewer sees the active silence but neither channel management nor the silence form', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, org.viewer.email, TEST_PASSWORD);
      await waitLive(d.page);
      const panel = d.page.getByRole('region', { name: /^Silences/ });
      await panel.getByRole('listitem').filter({ hasText: 'Drill at the harbour' }).waitFor({ timeout: 20_000 });
      await expect(panel.getByText('New silence…').count()).resolves.toBe(0);
      await expect(panel.getByRole('button').count()).resolves.toBe(0);
      await expect(d.page.getByRole('navigation', { name: 'Admin' }).count()).resolves.toBe(0);
      await d.page.evaluate(() => { location.hash = '#/admin/notifications'; });
      await d.page.waitForFunction(() => location.hash === '#/admin/notifications');
      await expect(d.page.getByRole('table', { name: 'Channels' }).count()).resolves.toBe(0);
      await expect(d.page.locator('.admin-page').count()).resolves.toBe(0);
      expect(await axe(d.page)).toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it('an operator ends the silence early', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl);
    try {
      await signIn(d.page, org.operator.email, TEST_PASSWORD);
      await waitLive(d.page);
      const panel = d.page.getByRole('region', { name: /^Silences/ });
      await panel.getByRole('button', { name: 'End now: the silence "Drill at the harbour"' }).click();
      await expect.poll(() => d.page.locator('#silence-status').textContent(), { timeout: 30_000 }).toBe('Ended the silence "Drill at the harbour".');
      await panel.getByText('No active silences').waitFor({ timeout: 20_000 });
      const [s] = await sql`select ends_at <= now() as ended from public.silences where org_id = ${org.id}`;
      expect(s!.ended).toBe(true);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
