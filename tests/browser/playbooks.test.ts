/**
 * The Playbooks admin page: an admin writes a playbook in the form (field errors shown
 * and announced first), hides the shared fire playbooks for the org, and the next
 * firing fire alert is recommended from the new playbook; retiring it from the page
 * keeps it out of later recommendations. Axe clean and keyboard-reachable, with the
 * form open and with its errors shown.
 */
import { gridDisk } from 'h3-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { scanCube } from '../../functions/_shared/detection/index.ts';
import { runScan } from '../../functions/hotspot-scan/run.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from '../integration/functions/seed-events.ts';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';

// 12 days ahead of the shared stack's cron scans, as tests/integration/functions/scan.test.ts.
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;

describe.skipIf(!hasChromium)('dashboard: Playbooks page', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql(4);
    org = await createTestOrg(sql, 'dash-playbooks');
    admin = await addMember(sql, org.id, 'admin');
    await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
    await seedBackground(sql, org.id, { now: NOW, historyHours: 24 * 10, ratePerCellHour: 0.05 });
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  const scan = async (clock: number) => {
    for (let i = 0; ; i++) {
      const s = await runScan({ sql, engine: scanCube, now: () => clock }, org.id, 'manual');
      if (s.status === 'succeeded' || i === 4) return s;
    }
  };

  it('an admin creates a playbook in the page and the next firing alert of its category is recommended from it; retired, never again', async () => {
    const d = await openDashboard(chrome.browser, apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Playbooks' }).click();
      await d.page.getByRole('heading', { level: 2, name: 'Playbooks' }).waitFor();
      await d.page.getByRole('heading', { level: 3, name: 'Shared playbooks' }).waitFor();
      await d.page.locator('[data-playbook-id]').first().waitFor();

      // The form: submitted empty, every field error is shown beside its control and summarised (focus moves there).
      await d.page.getByRole('button', { name: 'New playbook' }).click();
      await expect(d.page.evaluate(() => document.activeElement?.id)).resolves.toBe('pb-form-title');
      await d.page.getByRole('button', { name: 'Create playbook' }).click();
      const summary = d.page.getByRole('alert').filter({ hasText: 'Please correct' });
      await summary.waitFor();
      await expect(d.page.getByLabel('Title').getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(d.page.locator('#pb-steps-error').textContent()).resolves.toMatch(/at least one step/);
      await expect(d.page.evaluate(() => document.activeElement?.classList.contains('error-summary'))).resolves.toBe(true);
      expect(await axe(d.page), 'form with errors').toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);

      await d.page.getByLabel('Title').fill('Our own fire surge plan');
      await d.page.locator('form.pb-form').getByLabel('Category').fill('fire');
      await d.page.getByLabel('Tags (comma-separated)').fill('surge, escalation');
      await d.page.getByLabel('Summary').fill('Open the district command post and call in the reserve crews.');
      await d.page.getByLabel('Body').fill('When fires cluster beyond the usual, the district opens its command post.');
      await d.page.getByLabel('Steps (one per line)').fill('Open the command post.\nCall in the reserve crews.');
      await d.page.getByRole('button', { name: 'Create playbook' }).click();
      await d.page.getByRole('status').filter({ hasText: 'Created "Our own fire surge plan".' }).waitFor();
      const item = d.page.locator('li.pb-item', { hasText: 'Our own fire surge plan' });
      await item.waitFor();
      const [made] = await sql`select id, status, steps from public.playbooks where org_id = ${org.id} and title = 'Our own fire surge plan'`;
      expect(made).toMatchObject({ status: 'active', steps: ['Open the command post.', 'Call in the reserve crews.'] });

      // Hide the shared fire playbooks for this org from the page, so its own one answers fire alerts.
      const sharedFire = await sql`select title from public.playbooks where org_id is null and category = 'fire' order by title`;
      for (const g of sharedFire) {
        await d.page.getByRole('button', { name: `Hide ${g.title}`, exact: true }).click();
        await d.page.getByRole('button', { name: `Show ${g.title}`, exact: true }).waitFor();
      }
      expect((await sql`select count(*)::int as n from public.playbook_hidden where org_id = ${org.id}`)[0]!.n).toBe(sharedFire.length);
      expect(await axe(d.page), 'lists').toEqual([]);
      await screenshot(d.page, 'admin-playbooks', true);

      await seedBurst(sql, org.id, gridDisk(areaCells()[0]!, 1), 40, NOW, { tag: 'pbui1' });
      expect((await scan(NOW)).status).toBe('succeeded');
      const recs = await sql`select r.playbook_id, p.org_id from public.recommendations r join public.playbooks p on p.id = r.playbook_id where r.org_id = ${org.id}`;
      expect(recs.map((r) => r.playbook_id)).toContain(made!.id);
      expect(recs.filter((r) => r.org_id === null)).toEqual([]);

      await item.getByRole('button', { name: 'Retire Our own fire surge plan' }).click();
      await d.page.locator('li.pb-item[data-status="retired"]', { hasText: 'Our own fire surge plan' }).waitFor();
      const before = (await sql`select count(*)::int as n from public.recommendations where org_id = ${org.id}`)[0]!.n as number;
      const cells = areaCells();
      await seedBurst(sql, org.id, gridDisk(cells[cells.length - 1]!, 1), 40, NOW + 2 * HOUR, { tag: 'pbui2' });
      expect((await scan(NOW + 2 * HOUR)).status).toBe('succeeded');
      const later = await sql`select playbook_id from public.recommendations where org_id = ${org.id} order by id offset ${before}`;
      // A second firing alert, and no recommendation from the retired playbook (with every other fire playbook hidden, none at all).
      expect((await sql`select count(*)::int as n from public.alerts where org_id = ${org.id} and state = 'firing'`)[0]!.n).toBeGreaterThanOrEqual(2);
      expect(later.map((r) => r.playbook_id)).not.toContain(made!.id);
      expect(d.errors).toEqual([]);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
