/**
 * The map on MapLibre GL (WebGL through SwiftShader, support/chromium.ts):
 * - an admin uploads a PMTiles archive (tests/fixtures/basemap, synthetic "Testbury")
 *   from the Settings page and chooses it; the org's area and districts are set through
 *   org-settings. The board draws the archive's tiles (read with Range requests, 206),
 *   the area outline and the district names, a hotspot sits inside its district, no
 *   request leaves the page's origin, and axe finds nothing serious;
 * - a MapLibre style URL on a local "tile server" (style on one origin, its GeoJSON
 *   source on another) is honoured, and the page's CSP admits exactly those two origins
 *   besides its own.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { latLngToCell, cellToLatLng, gridDisk } from 'h3-js';
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../stack/src/config.ts';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { axe } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, screenshot, signIn, waitLive, type DashboardPage } from './support/dashboard.ts';

const FIXTURE_DIR = path.join(REPO_ROOT, 'tests/fixtures/basemap');
const fixture = JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, 'testbury.json'), 'utf8')) as {
  area: { type: 'Polygon'; coordinates: number[][][] };
  districts: Array<{ type: 'Feature'; properties: { name: string }; geometry: { type: 'Polygon'; coordinates: number[][][] } }>;
  layers: Record<string, object>;
};
/** archiveStyle() paints layers named like water in this colour (dashboard/src/map-style.ts). */
const WATER: RGB = [184, 212, 234];
/** The area outline (map.ts OVERLAY_LAYERS). */
const OUTLINE: RGB = [31, 41, 55];
/** The fixture style's water colour: nothing else on the page is this colour. */
const STYLE_WATER: RGB = [51, 102, 204];
type RGB = [number, number, number];

/** Pixels of the map canvas within ±12 per channel of each colour. */
async function colourCounts(page: Page, colours: RGB[]): Promise<number[]> {
  const png = await page.locator('.map-canvas canvas').screenshot();
  return page.evaluate(async ({ bytes, colours }) => {
    const bmp = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const g = c.getContext('2d')!;
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    return colours.map(([r, gg, b]) => {
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r) <= 12 && Math.abs(d[i + 1]! - gg) <= 12 && Math.abs(d[i + 2]! - b) <= 12) n++;
      return n;
    });
  }, { bytes: [...png], colours });
}

async function waitForColours(page: Page, colours: RGB[], min: number, timeout = 30_000): Promise<number[]> {
  const until = Date.now() + timeout;
  let counts: number[] = [];
  while (Date.now() < until) {
    counts = await colourCounts(page, colours);
    if (counts.every((n) => n >= min)) return counts;
    await page.waitForTimeout(500);
  }
  return counts;
}

/** Centre of an element on screen. */
async function centreOf(page: Page, selector: string): Promise<[number, number]> {
  const box = (await page.locator(selector).boundingBox())!;
  return [box.x + box.width / 2, box.y + box.height / 2];
}

function inRing(p: [number, number], ring: number[][]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if ((yi! > p[1]) !== (yj! > p[1]) && p[0] < ((xj! - xi!) * (p[1] - yi!)) / (yj! - yi!) + xi!) inside = !inside;
  }
  return inside;
}

describe.skipIf(!hasChromium)('dashboard: the map', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };
  let hotspotId: number;

  const asAdmin = async () => {
    const client = createClient(stack.apiUrl, stack.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
    const { error } = await client.auth.signInWithPassword({ email: admin.email, password: TEST_PASSWORD });
    if (error) throw error;
    return client;
  };
  const updateSettings = async (fields: Record<string, unknown>): Promise<void> => {
    const client = await asAdmin();
    const { error } = await client.functions.invoke('org-settings', { body: { action: 'update', org_id: org.id, ...fields } });
    expect(error).toBeNull();
  };

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-map');
    admin = await addMember(sql, org.id, 'admin');
    await updateSettings({ area: fixture.area, districts: fixture.districts });
    // One hotspot, three cells around a point well inside Eastmoor (the eastern half).
    const east = fixture.districts.find((d) => d.properties.name === 'Eastmoor')!.geometry.coordinates[0]!;
    const lng = (east[0]![0]! + east[1]![0]!) / 2;
    const lat = (east[0]![1]! + east[2]![1]!) / 2 + 0.002;
    const centre = latLngToCell(lat, lng, 9);
    const cells = gridDisk(centre, 1).slice(0, 3);
    const [clat, clng] = cellToLatLng(centre);
    const [run] = await sql<{ id: number }[]>`
      insert into public.scan_runs (org_id, trigger, status, finished_at, cpu_ms, stats)
      values (${org.id}, 'manual', 'succeeded', now(), 12, ${sql.json({ seeded_by: 'tests/browser/map' })}) returning id`;
    const [hs] = await sql<{ id: number }[]>`
      insert into public.hotspots (org_id, category, dedup_key, status, severity, model, cells, center_cell, center_lat, center_lng,
        radius_m, window_start, window_end, observed, expected, relative_risk, score, p_value, recurrence_interval_days, scan_id)
      values (${org.id}, 'fire', ${`map:${centre}`}, 'new', 'high', 'ebp', ${cells}, ${centre}, ${clat}, ${clng},
        300, now() - interval '2 hours', now(), 30, 6, 5, 20, 0.001, 200, ${run!.id}) returning id`;
    hotspotId = hs!.id;
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('an admin uploads a PMTiles basemap: tiles over Range, outline, district names, the hotspot inside its district, nothing off-origin, axe clean', async () => {
    // bypassCSP only so axe can be injected; the request log below checks the origins.
    const d: DashboardPage = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    const ranges: Array<{ range: string | undefined; status: number }> = [];
    d.page.on('response', (r) => {
      if (r.url().includes('/storage/v1/object/authenticated/basemaps/')) ranges.push({ range: r.request().headers().range, status: r.status() });
    });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.goto(`${stack.apiUrl}/dashboard/#/admin/settings`);
      await d.page.locator('#basemap-file').setInputFiles(path.join(FIXTURE_DIR, 'testbury.pmtiles'));
      await d.page.getByRole('button', { name: 'Upload', exact: true }).click();
      await expect.poll(() => d.page.locator('[data-basemap-status]').textContent(), { timeout: 30_000 }).toContain('Uploaded testbury.pmtiles');
      expect(await d.page.locator('#basemap-kind-pmtiles').isChecked()).toBe(true);
      await d.page.getByRole('button', { name: 'Use this basemap' }).click();
      await expect.poll(() => d.page.locator('[data-basemap-status]').textContent(), { timeout: 30_000 }).toContain('Basemap saved');
      expect(await axe(d.page)).toEqual([]);

      const [obj] = await sql<{ name: string; size: number }[]>`
        select name, (metadata->>'size')::int as size from storage.objects where bucket_id = 'basemaps' and name like ${org.id + '/%'}`;
      expect(obj).toEqual({ name: `${org.id}/testbury.pmtiles`, size: fs.statSync(path.join(FIXTURE_DIR, 'testbury.pmtiles')).size });

      await d.page.goto(`${stack.apiUrl}/dashboard/#/board`);
      await d.page.locator('[data-map-note]').getByText('testbury.pmtiles').waitFor({ timeout: 30_000 });
      for (const name of ['Westhaven', 'Eastmoor']) await d.page.locator('.map-label-district', { hasText: name }).waitFor();
      const marker = d.page.locator(`.hotspot[data-hotspot-id="${hotspotId}"]`);
      await marker.waitFor({ timeout: 30_000 });

      const [water, outline] = await waitForColours(d.page, [WATER, OUTLINE], 200);
      expect(water, 'water from the archive\'s tiles').toBeGreaterThanOrEqual(200);
      expect(outline, 'the area outline').toBeGreaterThanOrEqual(200);
      // The archive was read in pieces: every request a Range, answered 206.
      expect(ranges.length).toBeGreaterThanOrEqual(2);
      for (const r of ranges) {
        expect(r.range).toMatch(/^bytes=\d+-\d+$/);
        expect(r.status).toBe(206);
      }

      // Screen ↔ lng/lat from the two district labels (same latitude; north up, no rotation).
      const west = fixture.districts[0]!, eastD = fixture.districts[1]!;
      const label = async (name: string) => {
        const loc = d.page.locator('.map-label-district', { hasText: name });
        const [x, y] = await centreOf(d.page, `.map-label-district:has-text("${name}")`);
        return { x, y, lng: Number(await loc.getAttribute('data-lng')), lat: Number(await loc.getAttribute('data-lat')) };
      };
      const a = await label(west.properties.name);
      const b = await label(eastD.properties.name);
      const pxPerLng = (b.x - a.x) / (b.lng - a.lng);
      const pxPerLat = pxPerLng / Math.cos((a.lat * Math.PI) / 180);
      const [mx, my] = await centreOf(d.page, `.hotspot[data-hotspot-id="${hotspotId}"] .hotspot-dot`);
      const at: [number, number] = [a.lng + (mx - a.x) / pxPerLng, a.lat - (my - a.y) / pxPerLat];
      expect(inRing(at, eastD.geometry.coordinates[0]!), `hotspot drawn at ${at} is inside Eastmoor`).toBe(true);
      expect(inRing(at, west.geometry.coordinates[0]!)).toBe(false);

      await marker.focus();
      await d.page.keyboard.press('Enter');
      await expect.poll(() => marker.getAttribute('aria-pressed')).toBe('true');
      await screenshot(d.page, 'map-pmtiles', false);
      expect(await axe(d.page)).toEqual([]);
      expect(d.foreign()).toEqual([]);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });

  it('a style URL on a local tile server is honoured and the CSP admits exactly its origins', async () => {
    const listen = (handler: http.RequestListener) => new Promise<http.Server>((resolve) => {
      const srv = http.createServer(handler);
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
    const cors = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
    const dataServer = await listen((_req, res) => { res.writeHead(200, cors); res.end(JSON.stringify(fixture.layers.water)); });
    const dataOrigin = `http://127.0.0.1:${(dataServer.address() as AddressInfo).port}`;
    const styleServer = await listen((_req, res) => {
      res.writeHead(200, cors);
      res.end(JSON.stringify({
        version: 8,
        sources: { town: { type: 'geojson', data: `${dataOrigin}/water.geojson` } },
        layers: [
          { id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } },
          { id: 'water', type: 'fill', source: 'town', paint: { 'fill-color': '#3366cc' } },
        ],
      }));
    });
    const styleOrigin = `http://127.0.0.1:${(styleServer.address() as AddressInfo).port}`;
    const d = await openDashboard(chrome.browser, stack.apiUrl);
    const consoleLines: string[] = [];
    d.page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await d.page.goto(`${stack.apiUrl}/dashboard/#/admin/settings`);
      await d.page.locator('#basemap-kind-style').check();
      await d.page.locator('#basemap-style-url').fill(`${styleOrigin}/style.json`);
      await d.page.getByRole('button', { name: 'Use this basemap' }).click();
      await expect.poll(() => d.page.locator('[data-basemap-status]').textContent(), { timeout: 30_000 }).toContain('Basemap saved');

      // The policy is written when the page loads: load it again.
      await d.page.goto(`${stack.apiUrl}/dashboard/#/board`);
      const doc = await d.page.reload();
      const csp = (await doc!.allHeaders())['content-security-policy']!;
      const directive = (name: string) => csp.split(';').map((s) => s.trim()).find((s) => s.startsWith(`${name} `))!.split(/\s+/).slice(1);
      const host = new URL(stack.apiUrl).host;
      expect(directive('connect-src').sort()).toEqual(["'self'", `ws://${host}`, `wss://${host}`, dataOrigin, styleOrigin].sort());
      expect(directive('img-src').sort()).toEqual(["'self'", 'data:', 'blob:', dataOrigin, styleOrigin].sort());
      expect(directive('worker-src')).toEqual(["'self'"]);
      expect(directive('script-src')).toEqual(["'self'"]);

      await d.page.locator('[data-map-note]').getByText(`127.0.0.1:${(styleServer.address() as AddressInfo).port}`).waitFor({ timeout: 30_000 });
      const [water] = await waitForColours(d.page, [STYLE_WATER], 200);
      await screenshot(d.page, 'map-style-url', false);
      expect(water, `the style's water layer drawn from the second origin; console: ${consoleLines.join('\n')}`).toBeGreaterThanOrEqual(200);
      await d.page.locator(`.hotspot[data-hotspot-id="${hotspotId}"]`).waitFor();
      const origins = new Set(d.requests.map((u) => new URL(u).origin.replace(/^ws/, 'http')));
      expect(origins).toContain(styleOrigin);
      expect(origins).toContain(dataOrigin);
      expect([...origins].filter((o) => o !== new URL(stack.apiUrl).origin && o !== styleOrigin && o !== dataOrigin && o !== 'null')).toEqual([]);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
      await updateSettings({ map: { basemap: { kind: 'none' } } });
      styleServer.close();
      dataServer.close();
    }
  });
});
