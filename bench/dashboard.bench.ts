/**
 * Decision-to-other-dashboard latency: an operator approves recommendations in one
 * Chromium context while a second dashboard (a viewer of the same org) watches; the
 * latency is from the Confirm click in the first page to the moment the second page's
 * DOM shows the approval (both read the same wall clock). Floors in the same run: the
 * decisions call's own round trip and the deciding dashboard's own update.
 */
import type { Page } from 'playwright-core';
import { createTestOrg, TEST_PASSWORD } from '../tests/support/fixtures.ts';
import { hasChromium, launchChromium, SKIP_BANNER } from '../tests/browser/support/chromium.ts';
import { openDashboard, signIn, waitLive } from '../tests/browser/support/dashboard.ts';
import { seedBoard } from '../tests/browser/support/seed.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import type { BenchResult } from './types.ts';

/** Approvals measured (each a separate recommendation). */
const SAMPLES = Number(process.env.HOTWATCH_BENCH_DASHBOARD_SAMPLES ?? 24);

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Record, per recommendation, when this page first showed it approved and when its
 * Confirm button was clicked (wall-clock ms). Plain JS text: tsx would wrap named
 * inner functions of a serialised callback in a helper the page does not have.
 */
const WATCH_APPROVALS = `(() => {
  window.__approvedAt = {};
  window.__clickedAt = {};
  const now = () => performance.timeOrigin + performance.now();
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-rec-id][data-status="approved"]')) {
      const id = el.dataset.recId;
      if (!(id in window.__approvedAt)) window.__approvedAt[id] = now();
    }
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  document.addEventListener('click', (e) => {
    const btn = e.target.closest('button[type="submit"]');
    const item = btn && btn.closest('[data-rec-id]');
    if (item) window.__clickedAt[item.dataset.recId] = now();
  }, true);
})()`;

async function watchApprovals(page: Page): Promise<void> {
  await page.evaluate(WATCH_APPROVALS);
}

export async function run(): Promise<BenchResult> {
  if (!hasChromium) {
    process.stderr.write(SKIP_BANNER);
    throw new Error('dashboard bench needs /usr/bin/chromium (npm run setup)');
  }
  const db = await benchDb('dashboard');
  if (!db.stack) throw new Error('the dashboard bench needs the embedded stack (unset HOTWATCH_BENCH_DB_URL)');
  const chrome = await launchChromium();
  try {
    const org = await createTestOrg(db.sql, 'bench-dash');
    const recIds: number[] = [];
    // One more than the samples: the first decision also starts the decisions function's worker.
    for (let i = 0; recIds.length < SAMPLES + 1; i++) {
      recIds.push(...(await seedBoard(db.sql, org.id, { tag: `bench${i}` })).recommendationIds);
    }
    const ids = recIds.slice(0, SAMPLES + 1);
    const apiUrl = db.stack.apiUrl;
    const a = await openDashboard(chrome.browser, apiUrl);
    const b = await openDashboard(chrome.browser, apiUrl);
    await signIn(a.page, org.operator.email, TEST_PASSWORD);
    await signIn(b.page, org.viewer.email, TEST_PASSWORD);
    await Promise.all([waitLive(a.page), waitLive(b.page)]);
    for (const d of [a, b]) {
      await d.page.waitForSelector(`[data-rec-id="${ids[ids.length - 1]}"][data-status="pending"]`, { timeout: 60_000 });
      await watchApprovals(d.page);
    }
    const roundTrips: number[] = [];
    a.page.on('requestfinished', (req) => {
      if (!req.url().includes('/functions/v1/decisions')) return;
      const t = req.timing();
      if (t.responseEnd > 0) roundTrips.push(t.responseEnd);
    });

    const other: number[] = [];
    const own: number[] = [];
    for (const id of ids) {
      const item = a.page.locator(`[data-rec-id="${id}"]`);
      await item.getByRole('button', { name: 'Approve…' }).click();
      await item.getByRole('button', { name: 'Confirm approval' }).click();
      const sel = `[data-rec-id="${id}"][data-status="approved"]`;
      await Promise.all([b.page.waitForSelector(sel, { timeout: 30_000 }), a.page.waitForSelector(sel, { timeout: 30_000 })]);
      const clicked = await a.page.evaluate((k) => (window as unknown as { __clickedAt: Record<string, number> }).__clickedAt[k]!, String(id));
      const seenB = await b.page.evaluate((k) => (window as unknown as { __approvedAt: Record<string, number> }).__approvedAt[k]!, String(id));
      const seenA = await a.page.evaluate((k) => (window as unknown as { __approvedAt: Record<string, number> }).__approvedAt[k]!, String(id));
      other.push(seenB - clicked);
      own.push(seenA - clicked);
    }
    await a.context.close();
    await b.context.close();

    const cold = other.shift()!;
    own.shift();
    roundTrips.shift();
    const sorted = [...other].sort((x, y) => x - y);
    const ownSorted = [...own].sort((x, y) => x - y);
    const rtSorted = [...roundTrips].sort((x, y) => x - y);
    const result: BenchResult = {
      name: 'dashboard',
      figures: [
        { metric: 'decision → other dashboard, p50', value: quantile(sorted, 0.5), unit: 'ms', floor: quantile(rtSorted, 0.5) },
        { metric: 'decision → other dashboard, p95', value: quantile(sorted, 0.95), unit: 'ms', floor: quantile(rtSorted, 0.95) },
        { metric: 'decision → other dashboard, max', value: sorted[sorted.length - 1] ?? NaN, unit: 'ms' },
        { metric: 'decision → deciding dashboard, p50', value: quantile(ownSorted, 0.5), unit: 'ms' },
        { metric: 'decisions function round trip (browser), p50', value: quantile(rtSorted, 0.5), unit: 'ms' },
        { metric: 'first decision → other dashboard (cold function worker)', value: cold, unit: 'ms' },
      ],
      notes: [
        `${SAMPLES} approvals after one warm-up (reported apart), one at a time, operator in one Chromium context and a viewer of the same org in another (postgres_changes transport).`,
        'Latency = Confirm click in the deciding page → the other page\'s DOM shows "approved" (MutationObserver; both pages read the same wall clock).',
        'Floor = the decisions call\'s own HTTP round trip measured by the browser in the same run: the UPDATE commits before it answers, so the other dashboard cannot be faster than the commit plus Realtime delivery.',
      ],
    };
    await writeResult('dashboard', result);
    return result;
  } finally {
    await chrome.close();
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(1)} ${f.unit}${f.floor !== undefined ? ` (floor ${f.floor.toFixed(1)})` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
}
