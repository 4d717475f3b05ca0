/**
 * A page on another origin calls each service with a custom header, so Chromium sends a
 * CORS preflight first: the gateway must answer it as Kong's cors plugin does on
 * `supabase start` (echoing the requested headers) and mark every response readable.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { CHROMIUM_PATH, ENABLE_COMMAND, hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';

if (!hasChromium) {
  describe(`cross-origin browser tests — SKIPPED: ${CHROMIUM_PATH} missing; enable with \`${ENABLE_COMMAND}\``, () => {
    it.skip(`cross-origin calls (needs Chromium: ${ENABLE_COMMAND})`, () => {});
  });
}

interface Outcome { ok: boolean; status?: number; body?: string; contentRange?: string | null; apiVersion?: string | null; error?: string }

/** fetch from the page; a CORS refusal surfaces as a TypeError, kept as `error`. */
function fetchFromPage(page: Page, url: string, init: { method?: string; headers: Record<string, string>; body?: string }): Promise<Outcome> {
  return page.evaluate(async ({ url, init }) => {
    try {
      const res = await fetch(url, init);
      return { ok: true, status: res.status, body: await res.text(), contentRange: res.headers.get('content-range'), apiVersion: res.headers.get('x-supabase-api-version') };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  }, { url, init });
}

describe.skipIf(!hasChromium)('browser: cross-origin calls with a custom header', () => {
  let apiUrl: string;
  let anonKey: string;
  let sql: Sql;
  let site: http.Server;
  let chrome: RunningBrowser;
  let page: Page;
  const table = `xo_${Date.now().toString(36)}`;
  const custom = { 'x-hotwatch-probe': 'yes' };

  beforeAll(async () => {
    ({ apiUrl, anonKey } = inject('stack'));
    sql = adminSql(1);
    await sql.unsafe(`create table public.${table} (id int primary key); insert into public.${table} values (1), (2);
      grant select on public.${table} to anon; notify pgrst, 'reload schema';`);
    // The page's own origin: another port on loopback.
    site = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>elsewhere</title>'); });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', () => resolve()));
    chrome = await launchChromium();
    page = await chrome.browser.newPage();
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    await page?.close().catch(() => {});
    await chrome?.close();
    await new Promise((r) => site?.close(r));
    await sql?.unsafe(`drop table if exists public.${table}`);
    await sql?.end();
  });

  it('/rest/v1: the read succeeds and Content-Range is readable', async () => {
    const out = await fetchFromPage(page, `${apiUrl}/rest/v1/${table}?select=id&order=id`, {
      headers: { apikey: anonKey, Prefer: 'count=exact', ...custom },
    });
    expect(out).toMatchObject({ ok: true, status: 200, body: '[{"id":1}, \n {"id":2}]', contentRange: '0-1/2' });
  });

  it('/auth/v1: settings are read', async () => {
    const out = await fetchFromPage(page, `${apiUrl}/auth/v1/settings`, { headers: { apikey: anonKey, ...custom } });
    expect(out.ok).toBe(true);
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body ?? '{}')).toHaveProperty('external');
  });

  it('/auth/v1: an error\'s X-Supabase-Api-Version is readable (GoTrue exposes it), so auth-js can read its code', async () => {
    const out = await fetchFromPage(page, `${apiUrl}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01', ...custom },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'wrong-password' }),
    });
    expect(out).toMatchObject({ ok: true, status: 400, apiVersion: '2024-01-01' });
    expect(JSON.parse(out.body ?? '{}')).toMatchObject({ code: 'invalid_credentials' });
  });

  it('/functions/v1: the function answers (its own status reaches the page)', async () => {
    const init = { method: 'POST', headers: { apikey: anonKey, authorization: `Bearer ${anonKey}`, 'content-type': 'application/json', ...custom }, body: '{}' };
    const direct = await fetch(`${apiUrl}/functions/v1/decisions`, init);
    const out = await fetchFromPage(page, `${apiUrl}/functions/v1/decisions`, init);
    expect(out.ok).toBe(true);
    expect(out.status).toBe(direct.status);
  });

  it('/realtime/v1: the REST broadcast is accepted', async () => {
    const out = await fetchFromPage(page, `${apiUrl}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: anonKey, authorization: `Bearer ${anonKey}`, 'content-type': 'application/json', ...custom },
      body: JSON.stringify({ messages: [{ topic: 'xo-probe', event: 'ping', payload: { n: 1 } }] }),
    });
    expect(out).toMatchObject({ ok: true, status: 202 });
  });
});
