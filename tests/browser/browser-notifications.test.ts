/**
 * Browser notifications in Chromium (notification permission granted to the dashboard's
 * origin): an operator switches them on (kept per user in localStorage); an alert that
 * fires while the tab is in the background shows a system notification with its title
 * and place, one that fires while the tab is in front does not, an escalation does; a
 * click on the notification focuses the alert on the board.
 *
 * Observed through an init script that wraps window.Notification (recording every
 * notification the page creates; each is a real Notification). Headless Chromium
 * reports every page "visible" — a second tab in front, a minimized window
 * (Browser.setWindowBounds) and a background target (Target.createTarget) all left
 * document.visibilityState at "visible" when probed — so the script also stands in for
 * the background: it makes document.visibilityState/hidden answer "hidden" on demand and
 * fires visibilitychange, as a real tab switch does.
 */
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../support/fixtures.ts';
import { fireAlert } from '../integration/notifications/world.ts';
import { hasChromium, launchChromium, type RunningBrowser } from './support/chromium.ts';
import { openDashboard, signIn, waitLive } from './support/dashboard.ts';

const INIT = `(() => {
  const Real = window.Notification;
  const shown = [];
  class Recorded extends Real {
    constructor(title, options) { super(title, options); shown.push(this); }
  }
  window.Notification = Recorded;
  window.__notifications = shown;
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  window.__setHidden = (v) => { hidden = v; document.dispatchEvent(new Event('visibilitychange')); };
})();`;

interface Shown { title: string; body: string; tag: string }
declare global {
  interface Window { __notifications: Notification[]; __setHidden(v: boolean): void }
}

describe.skipIf(!hasChromium)('dashboard: browser notifications', () => {
  const stack = inject('stack');
  let chrome: RunningBrowser;
  let sql: Sql;
  let org: TestOrg;
  let operator: { id: string; email: string };

  beforeAll(async () => {
    sql = adminSql();
    org = await createTestOrg(sql, 'dash-browser-notify');
    operator = await addMember(sql, org.id, 'operator');
    chrome = await launchChromium();
  });
  afterAll(async () => {
    await chrome?.close();
    await sql?.end();
  });

  it('a background tab notifies of a firing and an escalating alert; clicking it focuses the alert', async () => {
    const d = await openDashboard(chrome.browser, stack.apiUrl, { permissions: ['notifications'], initScript: INIT });
    const shown = (): Promise<Shown[]> => d.page.evaluate(() => window.__notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag })));
    try {
      await signIn(d.page, operator.email, TEST_PASSWORD);
      await waitLive(d.page);
      const toggle = d.page.getByLabel('Browser notifications');
      const sound = d.page.getByLabel('Sound');
      expect(await toggle.isChecked()).toBe(false); // opt-in
      expect(await sound.isChecked()).toBe(false); // off by default
      await toggle.check();
      await expect.poll(() => d.page.locator('#browser-alerts-note').textContent()).toContain('in the background will notify you');
      const stored = await d.page.evaluate((id) => localStorage.getItem(`hotwatch.browser-alerts.${id}`), operator.id);
      expect(JSON.parse(stored!)).toEqual({ browser: true, sound: false });

      // In front: the feed shows it, no system notification.
      const front = await fireAlert(sql, org.id);
      await d.page.locator(`[data-alert-id="${front.alertId}"]`).waitFor({ timeout: 30_000 });
      expect(await shown()).toEqual([]);

      // In the background: fired, then escalated.
      await d.page.evaluate(() => window.__setHidden(true));
      const back = await fireAlert(sql, org.id);
      await expect.poll(shown, { timeout: 30_000 }).toHaveLength(1);
      const [fired] = await shown();
      expect(fired).toMatchObject({ title: 'Alert fired: High fire hotspot', tag: `hotwatch-alert-${back.alertId}` });
      expect(fired!.body).toContain('40.7500, -73.9900 (radius 600 m)');
      expect(fired!.body).toContain('high fire');
      await sql`update public.alerts set severity = 'critical', notified_severity = 'critical', notify_count = notify_count + 1,
                  last_notified_at = now() where id = ${back.alertId}`;
      await expect.poll(shown, { timeout: 30_000 }).toHaveLength(2);
      expect((await shown())[1]).toMatchObject({ title: 'Alert escalated: High fire hotspot' });

      // The user clicks the notification: the tab comes to the front with the alert focused.
      await d.page.evaluate(() => { window.__setHidden(false); window.__notifications[0]!.dispatchEvent(new Event('click')); });
      await expect.poll(() => d.page.evaluate(() => document.activeElement?.closest('[data-alert-id]')?.getAttribute('data-alert-id'))).toBe(String(back.alertId));
      expect(await d.page.evaluate(() => location.hash)).toBe(`#alert-${back.alertId}`);
      expect(d.errors).toEqual([]);

      // The choice is the user's and survives a reload.
      await d.page.reload();
      await waitLive(d.page);
      expect(await d.page.getByLabel('Browser notifications').isChecked()).toBe(true);
      // A link to an alert (as Slack, Teams and email carry) focuses it once it has loaded.
      await d.page.evaluate((id) => { location.hash = `#alert-${id}`; }, front.alertId);
      await expect.poll(() => d.page.evaluate(() => document.activeElement?.closest('[data-alert-id]')?.getAttribute('data-alert-id'))).toBe(String(front.alertId));
    } finally {
      await d.context.close();
    }
  }, 180_000);
});
