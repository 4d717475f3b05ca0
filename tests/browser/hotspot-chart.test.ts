/**
 * "Why is this a hotspot", as a picture: a planted cluster becomes a hotspot (a steady
 * background for twelve days, then a burst in seven cells over the last three hours,
 * scanned by hotspot-scan's own code), and its details show the hourly chart — the data
 * the chart is given (the hotspot-series answer) puts the observed count above the
 * baseline band in the cluster's window, the canvas is drawn (observed line, band and
 * window in their colours), the table alternative lists the same numbers, the range
 * toggle loads 7 days, and axe finds nothing serious. A viewer does all of it; the page
 * talks to its own origin only and its CSP refuses nothing.
 */
import { gridDisk } from 'h3-js';
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HotspotSeriesResult } from '../../functions/_shared/contract.ts';
import { scanCube } from '../../functions/_shared/detection/index.ts';
import { runScan } from '../../functions/hotspot-scan/run.ts';
import { areaCells, HOUR, seedBackground, seedBurst } from '../integration/functions/seed-events.ts';
import { adminSql } from '../support/db.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';

/** Pixels of the chart's canvas close to an RGBA colour (the canvas is transparent: fills keep their alpha). */
async function pixelsLike(page: Page, rgba: [number, number, number, number], tolerance: number): Promise<number> {
  return page.locator('.hotspot-chart canvas').first().evaluate((c, [r, g, b, a, tol]) => {
    const canvas = c as HTMLCanvasElement;
    const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i]! - r!) <= tol! && Math.abs(px[i + 1]! - g!) <= tol! && Math.abs(px[i + 2]! - b!) <= tol! && Math.abs(px[i + 3]! - a!) <= tol!) n++;
    }
    return n;
  }, [...rgba, tolerance]);
}

describe.skipIf(!hasChromium)('dashboard: the hotspot chart (observed vs expected)', () => {
  let apiUrl: string;
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let hotspotId: number;
  let d: DashboardPage;
  const cspRefusals: string[] = [];

  beforeAll(async () => {
    apiUrl = inject('stack').apiUrl;
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-chart');
    const now = Date.now();
    await sql`update public.orgs set created_at = ${new Date(now - 30 * 24 * HOUR)} where id = ${org.id}`;
    await seedBackground(sql, org.id, { now, historyHours: 24 * 12, ratePerCellHour: 0.05 });
    await seedBurst(sql, org.id, gridDisk(areaCells()[0]!, 1), 60, now, { tag: 'planted', withinMs: 3 * HOUR - 60_000 });
    // The scan's own code at the current time (the cron schedule may scan this org too; same result).
    let scan = await runScan({ sql, engine: scanCube }, org.id, 'manual');
    for (let i = 0; i < 4 && scan.status === 'skipped'; i++) scan = await runScan({ sql, engine: scanCube }, org.id, 'manual');
    const [h] = await sql<{ id: number }[]>`
      select id::int from public.hotspots where org_id = ${org.id} and category = 'fire' and status <> 'resolved'
         and cells && ${gridDisk(areaCells()[0]!, 1)} order by observed desc limit 1`;
    expect(h, `the planted cluster is a hotspot (scan: ${JSON.stringify(scan.categories)})`).toBeDefined();
    hotspotId = h!.id;
    chrome = await launchChromium();
    d = await openDashboard(chrome.browser, apiUrl);
    d.page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) cspRefusals.push(m.text()); });
  }, 180_000);
  afterAll(async () => {
    await d?.context.close();
    await chrome?.close();
    await sql?.end();
  });

  it('a viewer sees the observed line above the band in the cluster\'s window, drawn and as a table, and switches to 7 days', async () => {
    await signIn(d.page, org.viewer.email, TEST_PASSWORD);
    await waitLive(d.page);
    const title = d.page.locator(`.alert-item[data-hotspot-id="${hotspotId}"] .item-title`);
    await title.waitFor({ timeout: 60_000 });
    const answered = d.page.waitForResponse((r) => r.url().endsWith('/functions/v1/hotspot-series') && r.request().method() === 'POST', { timeout: 60_000 });
    await title.click();
    const res = await answered;
    expect(res.status()).toBe(200);
    const series = (await res.json()) as HotspotSeriesResult;

    // The data the chart was given: 48 hours, the window's hours with the burst above the band.
    expect(series.hotspot_id).toBe(String(hotspotId));
    expect(series.points).toHaveLength(48);
    const start = Date.parse(series.window_start);
    const end = Date.parse(series.window_end);
    const win = series.points.filter((p) => Date.parse(p.t) >= start && Date.parse(p.t) < end);
    const burst = win.filter((p) => p.observed >= 10);
    expect(burst.length).toBeGreaterThanOrEqual(1);
    for (const p of burst) expect(p.observed).toBeGreaterThan(p.high);
    expect(series.points.slice(0, 36).every((p) => p.observed <= Math.max(p.high, 3))).toBe(true);

    // Drawn: a canvas with the observed line, the band and the window in their colours; a spoken summary.
    const chart = d.page.locator('.hotspot-chart');
    await chart.locator('canvas').first().waitFor();
    const box = await chart.locator('canvas').first().boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(100);
    expect(await pixelsLike(d.page, [185, 28, 28, 255], 30)).toBeGreaterThan(20); // observed
    expect(await pixelsLike(d.page, [29, 78, 216, 255], 30)).toBeGreaterThan(20); // expected
    expect(await pixelsLike(d.page, [29, 78, 216, 41], 8)).toBeGreaterThan(100); // the band's fill
    expect(await pixelsLike(d.page, [234, 179, 8, 56], 8)).toBeGreaterThan(100); // the window's fill
    const label = await chart.locator('.chart-canvas').getAttribute('aria-label');
    const above = win.filter((p) => p.observed > p.high).length;
    expect(above).toBeGreaterThanOrEqual(burst.length);
    expect(label).toContain(`${above} of ${win.length} hour${win.length === 1 ? '' : 's'} above the band`);

    // The table alternative lists the same numbers.
    await chart.getByText('Show the numbers as a table').click();
    const rows = await chart.locator('.series-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      t: tr.querySelector('time')!.getAttribute('datetime'),
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent),
    })));
    expect(rows).toEqual(series.points.map((p) => ({
      t: p.t, cells: [String(p.observed), p.expected.toFixed(2), `${p.low}–${p.high}`, Date.parse(p.t) >= start && Date.parse(p.t) < end ? 'yes' : ''],
    })));
    await screenshot(d.page, 'hotspot-chart-48h');

    // 7 days.
    const week = d.page.waitForResponse((r) => r.url().endsWith('/functions/v1/hotspot-series'), { timeout: 60_000 });
    await chart.getByRole('button', { name: '7 days' }).click();
    const weekSeries = (await (await week).json()) as HotspotSeriesResult;
    expect(weekSeries.points).toHaveLength(168);
    await expect.poll(() => chart.locator('.series-table tbody tr').count()).toBe(168);
    expect(await chart.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed')).toBe('true');
    expect(await chart.getByRole('button', { name: '48 hours' }).getAttribute('aria-pressed')).toBe('false');

    expect(d.errors).toEqual([]);
    expect(d.foreign()).toEqual([]);
    expect(cspRefusals).toEqual([]);
  });

  it('axe: the details panel with its chart and open table has no serious or critical violations', async () => {
    const a = await openDashboard(chrome.browser, apiUrl, { bypassCSP: true });
    try {
      await signIn(a.page, org.viewer.email, TEST_PASSWORD);
      await waitLive(a.page);
      await a.page.locator(`.alert-item[data-hotspot-id="${hotspotId}"] .item-title`).click();
      await a.page.locator('.hotspot-chart canvas').first().waitFor({ timeout: 60_000 });
      await a.page.locator('.hotspot-chart').getByText('Show the numbers as a table').click();
      await a.page.locator('.series-table').waitFor();
      expect(await axe(a.page)).toEqual([]);
    } finally {
      await a.context.close();
    }
  });
});
