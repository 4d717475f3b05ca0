/**
 * The Settings admin page (issue 21): an admin changes the org's time zone, a category's
 * label and colour and a scan threshold from the page, and a bad GeoJSON area is refused
 * with the function's field error beside the area control (nothing stored); meanwhile a
 * viewer's open dashboard of the same org follows over Realtime without a reload — its
 * times move to the new zone (with the zone's abbreviation) and the category is named
 * and coloured as the org now says. Districts are uploaded as a file. Axe clean and keyboard-reachable, also with the
 * errors shown. A change made elsewhere reaches the open Settings page too. Viewers and
 * operators cannot reach the page.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatTime } from '../../dashboard/src/format.ts';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe, unreachableByKeyboard } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive } from './support/dashboard.ts';
import { seedBoard, type SeededBoard } from './support/seed.ts';

/** A bow-tie: its ring crosses itself, which the function refuses. */
const BOWTIE = { type: 'Polygon', coordinates: [[[4.0, 54.0], [4.02, 54.01], [4.02, 54.0], [4.0, 54.01], [4.0, 54.0]]] };

describe.skipIf(!hasChromium)('dashboard: Settings page', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };
  let seeded: SeededBoard;

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql(4);
    org = await createTestOrg(sql, 'dash-settings');
    admin = await addMember(sql, org.id, 'admin');
    seeded = await seedBoard(sql, org.id, { recommendationsPerAlert: 1 });
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('an admin edits settings from the page; a second open dashboard follows without a reload', async () => {
    const alertId = seeded.alertIds[0]!;
    const [alert] = await sql<{ category: string; created_at: Date }[]>`select category, created_at from public.alerts where id = ${alertId}`;
    const category = alert!.category;
    const raised = alert!.created_at.toISOString();

    // The viewer's board, open the whole time; a marker on window would vanish on a reload.
    const watcher = await openDashboard(chrome.browser, apiUrl);
    const d = await openDashboard(chrome.browser, apiUrl, { bypassCSP: true });
    try {
      await signIn(watcher.page, org.viewer.email, TEST_PASSWORD);
      await waitLive(watcher.page);
      const when = watcher.page.locator(`[data-alert-id="${alertId}"] [data-field="when"]`);
      const chip = watcher.page.locator(`[data-alert-id="${alertId}"] .cat-chip`);
      await expect.poll(() => when.textContent(), { timeout: 20_000 }).toBe(formatTime(raised, 'UTC'));
      await watcher.page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });

      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Settings' }).click();
      await d.page.getByRole('heading', { level: 2, name: 'Settings' }).waitFor();
      await d.page.getByRole('heading', { level: 3, name: 'Time zone' }).waitFor();
      await expect(d.page.evaluate(() => document.activeElement?.id)).resolves.toBe('admin-title');
      await expect(d.page.locator('#feed-keys[data-slot="feed-keys"]').count()).resolves.toBe(1);
      expect(await axe(d.page), 'settings page').toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);

      // Time zone: a searchable list of IANA names; saved, the watcher's times move to New York's clock.
      await expect(d.page.locator('#set-time-zone-list option[value="America/New_York"]').count()).resolves.toBe(1);
      await d.page.getByLabel('Time zone (IANA name)').fill('America/New_York');
      await d.page.getByRole('button', { name: 'Save time zone' }).click();
      await d.page.getByRole('status').filter({ hasText: 'Saved the time zone: America/New_York.' }).waitFor();
      expect((await sql`select time_zone from public.org_settings where org_id = ${org.id}`)[0]!['time_zone']).toBe('America/New_York');
      const local = formatTime(raised, 'America/New_York');
      expect(local).toMatch(/ E[SD]T$/);
      await expect.poll(() => when.textContent(), { timeout: 20_000 }).toBe(local);

      // A category's label and colour: the watcher's board names and colours it so.
      await d.page.getByLabel(`Label of "${category}"`).fill('road collision');
      await d.page.getByLabel(`Colour of "${category}"`).fill('#00aa55');
      await d.page.getByRole('button', { name: 'Save categories' }).click();
      await d.page.getByRole('status').filter({ hasText: /^Saved \d+ categories/ }).waitFor();
      const stored = (await sql<{ categories: Array<{ key: string; label: string; colour: string }> }[]>`
        select categories from public.org_settings where org_id = ${org.id}`)[0]!.categories.find((c) => c.key === category);
      expect(stored).toMatchObject({ label: 'road collision', colour: '#00aa55' });
      await expect.poll(() => chip.textContent(), { timeout: 20_000 }).toBe('Road collision');
      await expect(chip.locator('.cat-swatch').evaluate((el) => getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(0, 170, 85)');

      // A threshold: only that one changes.
      await d.page.getByLabel('Minimum events in a window to scan a category').fill('5');
      await d.page.getByRole('button', { name: 'Save scan settings' }).click();
      await d.page.getByRole('status').filter({ hasText: 'Saved the scan settings' }).waitFor();
      const scan = (await sql<{ scan: Record<string, unknown> }[]>`select scan from public.org_settings where org_id = ${org.id}`)[0]!.scan;
      expect(scan).toMatchObject({ min_cases: 5, max_window_hours: 6, scheduled: true, severity_days: { low: 7, medium: 30, high: 100, critical: 365 } });

      // Raw event retention: forever by default; 30 days; forever again.
      const retention = async () => (await sql<{ r: number | null }[]>`select retention_days as r from public.org_settings where org_id = ${org.id}`)[0]!.r;
      await expect(d.page.getByLabel('Keep raw events forever').isChecked()).resolves.toBe(true);
      await d.page.getByLabel('Keep raw events forever').uncheck();
      await d.page.getByLabel('Days to keep raw events').fill('30');
      await d.page.getByRole('button', { name: 'Save retention' }).click();
      await d.page.getByRole('status').filter({ hasText: 'raw events are kept 30 days' }).waitFor();
      expect(await retention()).toBe(30);
      await d.page.getByLabel('Keep raw events forever').check();
      await d.page.getByRole('button', { name: 'Save retention' }).click();
      await d.page.getByRole('status').filter({ hasText: 'raw events are kept forever' }).waitFor();
      expect(await retention()).toBeNull();

      // A self-intersecting area: refused, the error beside the area control, summarised and focused; nothing stored.
      const auditBefore = (await sql`select count(*)::int as n from public.audit_log where org_id = ${org.id}`)[0]!['n'];
      await d.page.getByLabel('Area GeoJSON (or paste it here)').fill(JSON.stringify(BOWTIE));
      await d.page.getByRole('button', { name: 'Save area' }).click();
      const areaError = d.page.locator('#set-area-error');
      await areaError.waitFor({ state: 'visible' });
      await expect(areaError.textContent()).resolves.toMatch(/cross|intersect/i);
      await screenshot(d.page, 'settings-errors');
      await expect(d.page.getByLabel('Area GeoJSON (or paste it here)').getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(d.page.getByLabel('Area GeoJSON (or paste it here)').getAttribute('aria-describedby')).resolves.toContain('set-area-error');
      await expect(d.page.evaluate(() => document.activeElement?.id)).resolves.toBe('settings-errors');
      await expect(d.page.locator('#settings-errors').textContent()).resolves.toMatch(/^Nothing was saved/);
      const after = (await sql`select s.area, c.org_id as cells from public.org_settings s left join public.org_area_cells c using (org_id) where s.org_id = ${org.id}`)[0]!;
      expect(after).toEqual({ area: null, cells: null });
      expect((await sql`select count(*)::int as n from public.audit_log where org_id = ${org.id}`)[0]!['n']).toBe(auditBefore);
      // Not JSON at all: said beside the same control without a call.
      await d.page.getByLabel('Area GeoJSON (or paste it here)').fill('{"type": "Polygon",');
      await d.page.getByRole('button', { name: 'Save area' }).click();
      await expect.poll(() => areaError.textContent()).toMatch(/^Not valid JSON/);
      expect(await axe(d.page), 'settings page with errors').toEqual([]);
      expect(await unreachableByKeyboard(d.page)).toEqual([]);

      // Districts from an uploaded file: the chooser fills the text, saving stores them and clears the errors.
      const district = (name: string, w: number) => ({ type: 'Feature', properties: { name },
        geometry: { type: 'Polygon', coordinates: [[[w, 54.0], [w + 0.02, 54.0], [w + 0.02, 54.02], [w, 54.02], [w, 54.0]]] } });
      await d.page.getByLabel('Districts file (GeoJSON FeatureCollection)').setInputFiles({
        name: 'districts.geojson', mimeType: 'application/geo+json',
        buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: [district('Kralingen', 4.0), district('Crooswijk', 4.03)] })),
      });
      await expect.poll(() => d.page.getByLabel('Districts GeoJSON (or paste it here)').inputValue()).toContain('Crooswijk');
      await d.page.getByRole('button', { name: 'Save districts' }).click();
      await d.page.getByRole('status').filter({ hasText: 'Saved 2 districts.' }).waitFor();
      await expect(d.page.locator('[data-field="districts-current"]').textContent()).resolves.toBe('2 districts: Kralingen, Crooswijk.');
      await expect(d.page.locator('#settings-errors').isHidden()).resolves.toBe(true);
      const names = (await sql<{ names: string[] }[]>`
        select array(select d -> 'properties' ->> 'name' from jsonb_array_elements(districts) d) as names from public.org_settings where org_id = ${org.id}`)[0]!.names;
      expect(names).toEqual(['Kralingen', 'Crooswijk']);

      // The watcher's hotspot details show the window on the org's clock too, and it never reloaded.
      await watcher.page.locator(`[data-alert-id="${alertId}"] .item-title`).click();
      const win = await sql<{ window_start: Date; window_end: Date }[]>`select window_start, window_end from public.hotspots where id = ${seeded.hotspotIds[0]!}`;
      await expect.poll(() => watcher.page.locator('[data-field="window"]').textContent(), { timeout: 10_000 })
        .toBe(`${formatTime(win[0]!.window_start.toISOString(), 'America/New_York')} – ${formatTime(win[0]!.window_end.toISOString(), 'America/New_York')}`);
      await expect(watcher.page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);

      // A change made elsewhere (here straight in the database, as another admin's save would land):
      // the admin's open Settings page and the watcher's board both follow.
      await sql`update public.org_settings set time_zone = 'Europe/Amsterdam', updated_at = now() where org_id = ${org.id}`;
      await expect.poll(() => d.page.locator('#set-time-zone').inputValue(), { timeout: 20_000 }).toBe('Europe/Amsterdam');
      await expect.poll(() => when.textContent(), { timeout: 20_000 }).toBe(formatTime(raised, 'Europe/Amsterdam'));
      expect(formatTime(raised, 'Europe/Amsterdam')).toMatch(/ CET$/);
      await screenshot(watcher.page, 'settings-followed');
      expect(d.errors).toEqual([]);
      expect(watcher.errors).toEqual([]);
      expect(watcher.foreign()).toEqual([]);
      expect(d.foreign()).toEqual([]);
    } finally {
      await d.context.close();
      await watcher.context.close();
    }
  });

  for (const role of ['viewer', 'operator'] as const) {
    it(`${role === 'operator' ? 'an' : 'a'} ${role} cannot reach the Settings page`, async () => {
      const d = await openDashboard(chrome.browser, apiUrl);
      try {
        await signIn(d.page, org[role].email, TEST_PASSWORD);
        await waitLive(d.page);
        await d.page.evaluate(() => { location.hash = '#/admin/settings'; });
        await d.page.waitForFunction(() => location.hash === '#/admin/settings');
        await d.page.locator('#alerts-title').waitFor();
        await expect(d.page.locator('[data-admin-page="settings"]').count()).resolves.toBe(0);
        await expect(d.page.getByRole('navigation', { name: 'Admin' }).count()).resolves.toBe(0);
        expect(d.errors).toEqual([]);
      } finally {
        await d.context.close();
      }
    });
  }
});
