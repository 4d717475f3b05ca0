/**
 * The issue's "done when", in Chromium: an admin adds a Slack, a Teams, a PagerDuty and
 * an email channel on the Notifications page, each pointed at a local receiver
 * (127.0.0.1) or the stack's mail catcher; an alert fires and each receives one
 * correctly formatted notification (checked against the destinations' documented
 * schemas); acknowledging the alert on the board acknowledges the PagerDuty incident.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { messagesTo } from '../support/inbox.ts';
import { parse, pdFollowUp, pdTrigger, slackMessage, teamsMessage } from '../support/notification-schemas.ts';
import { startReceiver, type Receiver } from '../integration/notifications/receiver.ts';
import { fireAlert } from '../integration/notifications/world.ts';
import { axe } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, signIn, waitLive } from './support/dashboard.ts';

describe.skipIf(!hasChromium)('dashboard: Slack, Teams, PagerDuty and email channels', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };
  const rx: Record<'slack' | 'teams' | 'pagerduty', Receiver> = {} as never;

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-notify-kinds');
    admin = await addMember(sql, org.id, 'admin');
    rx.slack = await startReceiver({ fallback: { status: 200, body: 'ok' }, maxRequests: 20 });
    rx.teams = await startReceiver({ fallback: { status: 202 }, maxRequests: 20 });
    rx.pagerduty = await startReceiver({ fallback: { status: 202, type: 'application/json', body: '{"status":"success","message":"Event processed"}' }, maxRequests: 20 });
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await Promise.all(Object.values(rx).map((r) => r.close()));
    await sql?.end();
  });

  it('an admin adds one channel of each kind; a firing reaches each once; acknowledging on the board acknowledges the incident', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    const inbox = `duty-${org.id.slice(0, 8)}@example.com`;
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Notifications' }).click();
      const form = d.page.locator('form.channel-form');
      const add = async (kind: string, name: string, fields: Record<string, string>, noun: string) => {
        await form.getByLabel('Kind').selectOption(kind);
        await form.getByLabel('Name', { exact: true }).fill(name);
        for (const [label, value] of Object.entries(fields)) await form.getByLabel(label, { exact: true }).fill(value);
        await form.getByRole('button', { name: `Add ${noun}` }).click();
        await expect.poll(() => d.page.locator('#notify-status').textContent(), { timeout: 30_000 }).toBe(`Added the ${noun} ${name}.`);
      };
      await add('slack', 'ops slack', { 'Slack webhook URL': rx.slack.url }, 'Slack channel');
      await add('teams', 'ops teams', { 'Teams Workflows webhook URL': rx.teams.url }, 'Teams channel');
      await form.getByLabel('Kind').selectOption('pagerduty');
      expect(await axe(d.page)).toEqual([]);
      await add('pagerduty', 'on call', { 'Routing key': 'R0ut1ngKeyR0ut1ngKeyR0ut1ngKey32', 'Events API URL (optional)': rx.pagerduty.url }, 'PagerDuty service');
      await add('email', 'duty mail', { Addresses: inbox, 'Mail server URL (optional)': `smtp://127.0.0.1:${stack.smtpPort}` }, 'email channel');
      const rows = d.page.getByRole('table', { name: 'Channels' }).locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(4);
      expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual(['email', 'pagerduty', 'slack', 'teams']);
      expect(await d.page.locator('#channel-secret').isHidden()).toBe(true); // nothing generated to show

      const { alertId } = await fireAlert(sql, org.id);
      await expect.poll(() => [rx.slack.got.length, rx.teams.got.length, rx.pagerduty.got.length], { timeout: 45_000 }).toEqual([1, 1, 1]);
      expect(parse(slackMessage, rx.slack.got[0]!.body)).toBe('ok');
      expect(parse(teamsMessage, rx.teams.got[0]!.body)).toBe('ok');
      expect(parse(pdTrigger, rx.pagerduty.got[0]!.body)).toBe('ok');
      const [mail] = await messagesTo(inbox, 1, 30_000);
      expect(mail!.Subject).toBe('[Hotwatch] Alert fired: High fire hotspot (high)');
      expect(mail!.Text).toContain(`#alert-${alertId}`);
      expect(mail!.HTML).toContain(`#alert-${alertId}`);

      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Board' }).click();
      await d.page.locator(`[data-alert-id="${alertId}"]`).getByRole('button', { name: 'Acknowledge' }).click();
      await expect.poll(() => rx.pagerduty.got.length, { timeout: 45_000 }).toBe(2);
      const ack = rx.pagerduty.got[1]!.body;
      expect(parse(pdFollowUp, ack)).toBe('ok');
      expect(ack).toMatchObject({ event_action: 'acknowledge', dedup_key: rx.pagerduty.got[0]!.body.dedup_key });
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  }, 180_000);
});
