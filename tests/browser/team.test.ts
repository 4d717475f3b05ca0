/**
 * The Team page end to end in Chromium: an admin invites a colleague from the dashboard;
 * the colleague opens the invitation from the local inbox's web page, sets a password on
 * the page the link opens and sees the board of the org; the admin changes their role
 * and removes them, the page saying how long their current session may still read; a second
 * member is removed with the immediate cut-off.
 * Each step is in the audit log. The Team page, the set-password page and "Forgot
 * password?" are axe clean.
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';

describe.skipIf(!hasChromium || !inject('stack').mailUrl)('dashboard: Team page', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-team');
    admin = await addMember(sql, org.id, 'admin');
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('an admin invites; the invitee opens the link from the inbox page, sets a password and sees the board; role change and removal', async () => {
    const email = `colleague-${randomUUID().slice(0, 8)}@mail.test`;
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Team' }).click();
      const members = d.page.getByRole('table', { name: 'Members' });
      await expect.poll(() => members.locator('tbody tr').count(), { timeout: 20_000 }).toBe(3);
      await d.page.getByLabel('Email').fill(email);
      await d.page.getByLabel('Role', { exact: true }).selectOption('operator');
      await d.page.getByRole('button', { name: 'Send invitation' }).click();
      await expect.poll(() => d.page.locator('#team-status').textContent(), { timeout: 30_000 }).toContain(`Invitation sent to ${email}`);
      const invites = d.page.getByRole('table', { name: 'Invitations' });
      await expect.poll(() => invites.locator('tbody tr', { hasText: email }).count()).toBe(1);
      expect(await axe(d.page)).toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);
      await screenshot(d.page, 'team-invited', false);

      // The invitee, in another browser context: the inbox page → the message → its link.
      const invitee = await chrome.browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true });
      try {
        const page = await invitee.newPage();
        await page.goto(`${stack.mailUrl}/`);
        const row = page.locator('tr', { hasText: email });
        await expect.poll(async () => { await page.reload(); return row.count(); }, { timeout: 20_000 }).toBeGreaterThan(0);
        await row.first().getByRole('link', { name: 'You have been invited' }).click();
        await page.waitForURL(/\/view\//);
        await page.frameLocator('iframe[title="Message body"]').getByRole('link', { name: 'Accept the invite' }).click();
        await page.getByRole('heading', { name: 'Welcome to Hotwatch' }).waitFor({ timeout: 60_000 });
        expect(await axe(page)).toEqual([]);
        await page.getByLabel('New password').fill('colleague-password-1');
        await page.getByLabel('Repeat the password').fill('colleague-password-1');
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.waitForSelector('header.topbar', { timeout: 60_000 });
        await expect.poll(() => page.locator('.org').textContent(), { timeout: 20_000 }).toContain(`Test ${org.slug}`);
        await expect(page.locator('.org .role').textContent()).resolves.toBe('operator');
        await page.locator('#alerts-title').waitFor();
        await screenshot(page, 'team-invitee-board', false);
      } finally {
        await invitee.close();
      }

      // Back on the admin's page: the colleague is a member; change their role, then remove them.
      const [user] = await sql`select id from auth.users where email = ${email}`;
      const leaver = await addMember(sql, org.id, 'viewer'); // cut off at the end
      await d.page.reload();
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Team' }).click();
      await d.page.getByLabel(`Role of ${email}`, { exact: true }).waitFor({ timeout: 20_000 });
      await d.page.getByLabel(`Role of ${email}`, { exact: true }).selectOption('viewer');
      await d.page.getByRole('button', { name: `Change role of ${email}` }).click();
      await expect.poll(() => d.page.locator('#team-status').textContent(), { timeout: 30_000 }).toContain(`${email} is now viewer`);
      await d.page.getByRole('button', { name: `Remove ${email}` }).click();
      await expect.poll(() => d.page.locator('#team-status').textContent(), { timeout: 30_000 }).toMatch(/^Removed .* may still read this organisation until /);
      await expect.poll(() => members.locator('tbody tr', { hasText: email }).count()).toBe(0);
      const log = await sql`select action from public.audit_log where org_id = ${org.id} order by id`;
      expect(log.map((r) => r.action)).toEqual(['member.invite', 'member.accept', 'member.role', 'member.remove']);
      const [who] = await sql`select count(*)::int as n from public.audit_log where org_id = ${org.id} and actor = ${user!.id}`;
      expect(who!.n).toBe(1); // the accept, by the invitee
      // The immediate cut-off: the page says the token reads nothing from now on, and the account is banned.
      await d.page.locator(`#cutoff-${leaver.id}`).check();
      await d.page.getByRole('button', { name: `Remove ${leaver.email}` }).click();
      await expect.poll(() => d.page.locator('#team-status').textContent(), { timeout: 30_000 }).toMatch(/^Removed .* cut them off: .* reads nothing from now on\.$/);
      const [banned] = await sql`select banned_until > now() as banned from auth.users where id = ${leaver.id}`;
      expect(banned!.banned).toBe(true);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it('"Forgot password?" sends Auth\'s recovery email and says so', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await d.page.getByLabel('Email').fill(org.viewer.email);
      await d.page.getByRole('button', { name: 'Forgot password?' }).click();
      await expect.poll(() => d.page.locator('#forgot-status').textContent(), { timeout: 20_000 }).toContain('a link to choose a new password is on its way');
      expect(await axe(d.page)).toEqual([]);
      const list = await (await fetch(`${stack.mailUrl}/api/v1/messages?limit=500`)).json() as { messages: Array<{ Subject: string; To: Array<{ Address: string }> }> };
      expect(list.messages.some((m) => m.Subject === 'Reset Your Password' && m.To.some((t) => t.Address === org.viewer.email))).toBe(true);
    } finally {
      await d.context.close();
    }
  });
});
