/**
 * The Settings page's Feed keys section in Chromium: an admin creates a key (shown once,
 * with the URL a feed posts to), a feed ingests with it, the list follows; Revoke (after
 * a confirmation) stops the key — the feed then gets 401 — and a revocation made
 * elsewhere (another tab, the function) reaches the open page over Realtime. Axe clean.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFeedKeysHandler } from '../../functions/feed-keys/handler.ts';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { call, jsonRequest, serviceToken } from '../support/functions.ts';
import { axe } from './support/a11y.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, signIn, waitLive } from './support/dashboard.ts';

describe.skipIf(!hasChromium)('dashboard: feed keys', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let admin: { id: string; email: string };

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-feed');
    admin = await addMember(sql, org.id, 'admin');
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  const feed = (key: string) => fetch(`${stack.apiUrl}/functions/v1/ingest-feed`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: [{ source: 'cad', external_id: `e-${key.slice(5, 17)}`, category: 'fire', occurred_at: new Date().toISOString(), lat: 51.9, lng: 4.5 }] }),
  });

  it('an admin creates a key, a feed uses it, Revoke stops it; a revocation elsewhere reaches the page', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { bypassCSP: true });
    try {
      await signIn(d.page, admin.email, TEST_PASSWORD);
      await waitLive(d.page);
      await d.page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Settings' }).click();
      const table = d.page.getByRole('table', { name: 'Feed keys' });
      await table.waitFor();
      const form = d.page.getByRole('form', { name: 'New feed key' });
      await form.getByLabel('Name').fill('CAD feed');
      await form.getByRole('button', { name: 'Create key' }).click();
      await expect.poll(() => d.page.locator('#feed-keys-status').textContent(), { timeout: 30_000 }).toBe('Created the feed key CAD feed.');
      const key = (await d.page.locator('#feed-key-value').textContent())!;
      expect(key).toMatch(/^hwfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      const row = table.locator('tbody tr', { hasText: 'CAD feed' });
      await expect.poll(() => row.count()).toBe(1);
      await expect(row.locator('td').nth(1).textContent()).resolves.toBe(`${key.slice(0, 17)}_…`);
      expect(await axe(d.page)).toEqual([]);

      expect((await feed(key)).status).toBe(200);
      // last_used_at arrives over Realtime.
      await expect.poll(() => row.locator('td').nth(4).textContent(), { timeout: 30_000 }).not.toBe('never');

      d.page.once('dialog', (dialog) => void dialog.accept());
      await d.page.getByRole('button', { name: 'Revoke CAD feed' }).click();
      await expect.poll(() => d.page.locator('#feed-keys-status').textContent(), { timeout: 30_000 }).toBe('Revoked CAD feed.');
      await expect.poll(() => row.locator('td').nth(5).textContent()).toMatch(/^revoked /);
      expect((await feed(key)).status).toBe(401);

      // A key created and revoked elsewhere: the open page follows.
      const keys = createFeedKeysHandler({ sql });
      const token = await serviceToken();
      const made = await call(keys, jsonRequest('http://local/functions/v1/feed-keys', { action: 'create', org_id: org.id, name: '311 feed' }, token));
      expect(made.status).toBe(201);
      const other = table.locator('tbody tr', { hasText: '311 feed' });
      await expect.poll(() => other.count(), { timeout: 30_000 }).toBe(1);
      await call(keys, jsonRequest('http://local/functions/v1/feed-keys', { action: 'revoke', id: made.body.feed_key.id }, token));
      await expect.poll(() => other.locator('td').nth(5).textContent(), { timeout: 30_000 }).toMatch(/^revoked /);
      expect(d.errors).toEqual([]);
    } finally {
      await d.context.close();
    }
  });
});
