/**
 * The admin area: an org's admins see the admin navigation (Board, Team, Settings,
 * Playbooks, Notifications) and its pages;
 * viewers and operators see no admin navigation, and an admin link opened by one of
 * them shows the board. The admin pages are axe clean and keyboard-reachable.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';

const PAGES = ['Team', 'Settings', 'Playbooks', 'Notifications'] as const;

describe.skipIf(!hasChromium)('dashboard: admin area', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-admin');
    admin = await addMember(sql, org.id, 'admin');
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('an admin sees the admin navigation and each page; axe clean, keyboard-reachable', async () => {
    const d = await openDashboard(chrome.browser, apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      const nav = d.page.getByRole('navigation', { name: 'Admin' });
      await nav.waitFor();
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Board', ...PAGES]);
      await expect(nav.getByRole('link', { name: 'Board' }).getAttribute('aria-current')).resolves.toBe('page');

      for (const title of PAGES) {
        await nav.getByRole('link', { name: title }).click();
        const heading = d.page.getByRole('heading', { level: 2, name: title });
        await heading.waitFor();
        await expect(nav.getByRole('link', { name: title }).getAttribute('aria-current')).resolves.toBe('page');
        // Each page is built (team, settings, playbooks, notifications tests).
        if (title === 'Team') await d.page.getByRole('table', { name: 'Members' }).waitFor();
        else if (title === 'Settings') {
          await d.page.getByRole('table', { name: 'Categories' }).waitFor();
          // Its Feed keys section (feed-keys.ts, the feed-keys browser test).
          await d.page.getByRole('table', { name: 'Feed keys' }).waitFor();
        }
        else if (title === 'Playbooks') await d.page.getByRole('button', { name: 'New playbook' }).waitFor();
        else if (title === 'Notifications') await d.page.getByRole('table', { name: 'Channels' }).waitFor();
        // Focus moves to the page title, so a screen reader announces the new page.
        await expect(d.page.evaluate(() => document.activeElement?.id)).resolves.toBe('admin-title');
        expect(await axe(d.page), title).toEqual([]);
      }
      await screenshot(d.page, 'admin-notifications', false);
      // The board keeps streaming behind the admin pages.
      await waitLive(d.page);

      expect(await unreachableByKeyboard(d.page)).toEqual([]);

      await nav.getByRole('link', { name: 'Board' }).click();
      await d.page.locator('#alerts-title').waitFor();
      await expect(d.page.locator('.admin-page').count()).resolves.toBe(0);
      await expect(d.page.locator('.admin').isHidden()).resolves.toBe(true);
      expect(d.errors).toEqual([]);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  for (const role of ['viewer', 'operator'] as const) {
    it(`${role === 'operator' ? 'an' : 'a'} ${role} sees no admin navigation, and an admin link shows the board`, async () => {
      const d = await openDashboard(chrome.browser, apiUrl);
      try {
        await signIn(d.page, org[role].email, TEST_PASSWORD);
        await waitLive(d.page);
        await d.page.locator('#alerts-title').waitFor();
        await expect(d.page.getByRole('navigation', { name: 'Admin' }).count()).resolves.toBe(0);
        await d.page.evaluate(() => { location.hash = '#/admin/team'; });
        await d.page.waitForFunction(() => location.hash === '#/admin/team');
        await expect(d.page.locator('.admin-page').count()).resolves.toBe(0);
        await expect(d.page.locator('#alerts-title').count()).resolves.toBe(1);
        await expect(d.page.locator('.admin-link').count()).resolves.toBe(0);
        expect(d.errors).toEqual([]);
      } finally {
        await d.context.close();
      }
    });
  }
});
