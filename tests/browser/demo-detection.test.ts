/**
 * The whole loop in a browser: the demo control ingests four weeks of background events
 * and clusters of known relative risk through ingest-events and runs the scan; an
 * injected cluster appears on the map as a hotspot recorded by a scan run, with its
 * p-value and recurrence interval, and as an alert in the feed. The page talks to its
 * own origin only.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultClusters } from '../../dashboard/src/demo-data.ts';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';

describe.skipIf(!hasChromium)('dashboard: the demo shows real detections', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let d: DashboardPage;

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-demo');
    // "Run demo" is offered to demo orgs only.
    await sql`update public.orgs set is_demo = true where id = ${org.id}`;
    chrome = await launchChromium();
    d = await openDashboard(chrome.browser, apiUrl);
  });
  afterAll(async () => {
    await d?.context.close();
    await chrome?.close();
    await sql?.end();
  });

  it('an injected cluster becomes a hotspot from a recorded scan run, with its statistics, and an alert', async () => {
    await signIn(d.page, org.operator.email, TEST_PASSWORD);
    await waitLive(d.page);
    await d.page.locator('#run-demo').click();
    await expect.poll(() => d.page.locator('.notices').textContent(), { timeout: 180_000, interval: 1000 })
      .toMatch(/Demo loaded|Demo failed/);
    expect(await d.page.locator('.notices .notice-error').textContent()).toBe('');

    const events = await sql<{ n: number; days: number }[]>`
      select count(*)::int as n, (extract(epoch from max(occurred_at) - min(occurred_at)) / 86400)::float8 as days
        from public.events where org_id = ${org.id}`;
    expect(events[0]!.n).toBeGreaterThan(40_000);
    expect(events[0]!.days).toBeGreaterThanOrEqual(28);

    // Every hotspot on the map was written by a recorded, finished scan run.
    await d.page.locator('.hotspot').first().waitFor({ timeout: 60_000 });
    const shown = (await d.page.locator('.hotspot').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-hotspot-id')))));
    const rows = await sql<{ id: number; category: string; cells: string[]; scan_id: number | null; run_status: string | null }[]>`
      select h.id, h.category, h.cells, h.scan_id, s.status::text as run_status
        from public.hotspots h left join public.scan_runs s on s.id = h.scan_id
       where h.org_id = ${org.id} and h.id = any(${shown})`;
    expect(rows).toHaveLength(shown.length);
    for (const r of rows) {
      expect(r.scan_id).not.toBeNull();
      expect(r.run_status).toBe('succeeded');
    }

    // At least one of them covers an injected cluster's centre in its category.
    const injected = defaultClusters();
    const hit = rows.find((r) => injected.some((c) => c.category === r.category && r.cells.includes(c.cell)));
    expect(hit, `hotspots ${JSON.stringify(rows.map((r) => [r.category, r.cells.length]))} cover no injected cluster`).toBeDefined();

    await d.page.locator(`.hotspot[data-hotspot-id="${hit!.id}"]`).click();
    await expect(d.page.locator('[data-field="p-value"]').textContent()).resolves.toMatch(/^(< )?0\.\d+$/);
    await expect(d.page.locator('[data-field="recurrence"]').textContent()).resolves.toMatch(/once in|never expected/);
    // The run that last wrote the hotspot: the schedule's rounds may rescan the org (it has news)
    // between the read above and now, and the open panel follows them live.
    await expect.poll(async () => {
      const ui = await d.page.locator('[data-field="scan-run"]').textContent();
      const [cur] = await sql<{ scan_id: number }[]>`select scan_id from public.hotspots where id = ${hit!.id}`;
      return ui?.includes(`run #${cur!.scan_id}`) ? 'shows the current run' : `${ui} vs run #${cur!.scan_id}`;
    }, { timeout: 20_000 }).toBe('shows the current run');
    await expect(d.page.locator('[data-field="relative-risk"]').textContent()).resolves.toMatch(/^\d/);

    // … and as an alert in the feed.
    await d.page.locator(`.alert-item[data-hotspot-id="${hit!.id}"]`).waitFor({ timeout: 30_000 });
    await screenshot(d.page, 'demo-detections');

    expect(d.errors).toEqual([]);
    expect(d.foreign()).toEqual([]);
  });
});
