/**
 * The schedule scans orgs with news (issue 26, part 4; docs/functions.md "The schedule"):
 * one pg_net POST a minute starts a round in the hotspot-scan function, which claims due
 * orgs one at a time with a bounded number of scans in flight. Through the real function
 * on the shared stack, whose own per-minute rounds run beside these tests: an org this file
 * must control is claimed by the test (`claimed_until`) so no round takes it.
 */
import { gridDisk } from 'h3-js';
import { afterAll, describe, expect, it } from 'vitest';
import { scanCube } from '../../../functions/_shared/detection/index.ts';
import type { Phraser } from '../../../functions/hotspot-scan/llm.ts';
import { runScan } from '../../../functions/hotspot-scan/run.ts';
import { releaseDispatchLease, takeDispatchLease } from '../../../functions/hotspot-scan/store/dispatch.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { serviceJwt, stackInfo, userJwt } from '../../support/hardening.ts';
import { area, background, burst, eventAt, HOUR, insertWorld } from '../reliability/world.ts';

const info = stackInfo();
const sql = adminSql(3);
afterAll(async () => { await sql.end(); });

interface Round { status: number; body: Record<string, unknown> }

async function round(body: Record<string, unknown>, token = serviceJwt()): Promise<Round> {
  const res = await fetch(`${info.apiUrl}/functions/v1/hotspot-scan`, {
    method: 'POST', headers: { apikey: info.anonKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

/** A round that runs here and answers its figures (the stack's own round may hold the lease for a moment). */
async function waitedRound(): Promise<Record<string, unknown>> {
  // The stack's own background round holds the lease for up to 50 s of each minute.
  for (let i = 0; i < 120; i++) {
    const r = await round({ trigger: 'cron', wait: true });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (r.body['round'] === 'ran') return r.body;
    await new Promise((ok) => setTimeout(ok, 1000));
  }
  throw new Error('no round could take the dispatcher lease in 120 s');
}

/** Until the orgs' news is consumed by the schedule's rounds (and their scans have ended). */
async function newsConsumed(orgIds: string[]): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const [{ n } = { n: 0 }] = await sql<{ n: number }[]>`
      select (select count(*) from public.scan_news where org_id = any(${orgIds}::uuid[]))
           + (select count(*) from public.org_scan_state where org_id = any(${orgIds}::uuid[]) and claimed_until is not null) as n`;
    if (Number(n) === 0) return;
    if (Date.now() - t0 > 120_000) throw new Error(`news of ${orgIds.length} orgs not consumed in 120 s`);
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

const due = async (orgId: string): Promise<string | null> =>
  (await sql<{ reason: string }[]>`select reason from public.due_scans() where org_id = ${orgId}`)[0]?.reason ?? null;
const newsOf = async (orgId: string): Promise<number> =>
  (await sql<{ n: number }[]>`select count(*)::int as n from public.scan_news where org_id = ${orgId}`)[0]!.n;
const cronRuns = async (orgIds: string[]) => sql<{ org_id: string; status: string; started_at: Date; finished_at: Date | null }[]>`
  select org_id, status, started_at, finished_at from public.scan_runs where org_id = any(${orgIds}::uuid[]) and trigger = 'cron' order by started_at`;
/** Keep the stack's own rounds off an org (a claim no round takes) — or give it back. */
const hold = (orgId: string, on: boolean) => sql`update public.org_scan_state set claimed_until = ${on ? sql`now() + interval '1 hour'` : null} where org_id = ${orgId}`;

describe('the schedule scans orgs with news', () => {
  it('is one pg_net POST a minute naming no org', async () => {
    const [job] = await sql<{ command: string; schedule: string }[]>`select command, schedule from cron.job where jobname = 'hotspot-scan'`;
    expect(job!.schedule).toBe('* * * * *');
    expect(job!.command).toContain("jsonb_build_object('trigger', 'cron')");
    expect(job!.command).not.toMatch(/from public\.orgs/);
  });

  it('the dispatcher lease is given back only by the round that holds it', async () => {
    // In a transaction rolled back at the end, so the stack's own rounds are not disturbed.
    await sql.begin(async (tx) => {
      await tx`update public.scan_dispatcher set leased_until = null`;
      const lease = await takeDispatchLease(tx, 60_000);
      expect(lease).not.toBeNull();
      expect(await takeDispatchLease(tx, 60_000)).toBeNull();
      await releaseDispatchLease(tx, String(BigInt(lease!) - 1n)); // a lease that is not ours
      expect(await takeDispatchLease(tx, 60_000)).toBeNull();
      await releaseDispatchLease(tx, lease!);
      expect(await takeDispatchLease(tx, 60_000)).not.toBeNull();
      throw new Error('rollback');
    }).catch((e: unknown) => { if (!(e instanceof Error && e.message === 'rollback')) throw e; });
  });

  it('concurrent claims never hand out one org twice', async () => {
    // Lanes start together and see the same due list: the claim must re-check the org's claim
    // on the row it locks, or a lane that locks after another lane's claim committed takes the
    // same org again (two scans of one org, one of them skipped).
    const orgs = await Promise.all(Array.from({ length: 12 }, (_, i) => createTestOrg(sql, `dispatch-race${i}`)));
    const cells = area(40.75, -73.99, 1);
    for (const o of orgs) await hold(o.id, true);
    for (const o of orgs) await insertWorld(sql, o.id, [eventAt(`r-${o.id}`, 'fire', Date.now() - 60_000, cells[0]!)]);
    // Keep the stack's rounds out while the test claims (it holds the dispatcher lease).
    let lease: string | null = null;
    for (let i = 0; i < 90 && lease === null; i++) {
      lease = await takeDispatchLease(sql, 60_000);
      if (lease === null) await new Promise((ok) => setTimeout(ok, 1000));
    }
    expect(lease, 'dispatcher lease').not.toBeNull();
    const claimers = adminSql(8);
    const claimed: string[] = [];
    try {
      for (const o of orgs) await hold(o.id, false);
      for (let attempt = 0; attempt < 5; attempt++) {
        await Promise.all(Array.from({ length: 8 }, async () => {
          for (;;) {
            const [row] = await claimers<{ org_id: string }[]>`select org_id from public.claim_due_scan(interval '1 minute')`;
            if (!row) return;
            claimed.push(row.org_id);
          }
        }));
        const dup = claimed.filter((id, i) => claimed.indexOf(id) !== i);
        expect(dup, 'orgs claimed twice').toEqual([]);
        for (const o of orgs) expect(claimed).toContain(o.id);
        // Give back every claim (ours and any other file's org's) and go again.
        await sql`update public.org_scan_state set claimed_until = null where org_id = any(${claimed}::uuid[])`;
        claimed.length = 0;
      }
    } finally {
      await sql`update public.org_scan_state set claimed_until = null where org_id = any(${claimed}::uuid[])`;
      await releaseDispatchLease(sql, lease!);
      await claimers.end();
    }
    // Let the stack's rounds scan these orgs before the next test, which runs a round of its own
    // in the same worker: twelve scans beside it can push its CPU share over the hard limit (546).
    await newsConsumed(orgs.map((o) => o.id));
  }, 270_000);

  it('a POST from the schedule is answered 202 at once; only the service role starts a round', async () => {
    const t0 = Date.now();
    const r = await round({ trigger: 'cron' });
    expect(r).toEqual({ status: 202, body: { accepted: true } });
    expect(Date.now() - t0).toBeLessThan(10_000);
    // An operator's "cron" is an HTTP scan of their org; anon is refused.
    const org = await createTestOrg(sql, 'dispatch-op');
    const op = await round({ trigger: 'cron' }, userJwt(org.operator.id, { [org.id]: 'operator' }));
    expect(op.status, JSON.stringify(op.body)).toBe(200);
    expect(op.body).toMatchObject({ org_id: org.id, trigger: 'http' });
    expect((await round({ trigger: 'cron' }, info.anonKey)).status).toBe(401);
  });

  it('an org with new events is scanned and its news consumed; an org with none is not scanned', async () => {
    const busy = await createTestOrg(sql, 'dispatch-busy');
    const idle = await createTestOrg(sql, 'dispatch-idle');
    const cells = area(40.75, -73.99, 2);
    await insertWorld(sql, busy.id, [eventAt(`d-${busy.id}`, 'fire', Date.now() - 60_000, cells[0]!)]);
    expect(await newsOf(busy.id)).toBe(1);
    expect(await due(busy.id)).toBe('news');
    expect(await due(idle.id)).toBeNull();

    // The stack's background round polls for news every 2 s.
    await newsConsumed([busy.id]);
    const runs = await cronRuns([busy.id, idle.id]);
    expect(runs.filter((r) => r.org_id === busy.id).map((r) => r.status)).toContain('succeeded');
    expect(runs.filter((r) => r.org_id === idle.id)).toEqual([]);
    expect(await newsOf(busy.id)).toBe(0);
    expect(await due(busy.id)).toBeNull();
    const [st] = await sql<{ last_scan_at: Date | null; last_news_at: Date | null; claimed_until: Date | null }[]>`
      select last_scan_at, last_news_at, claimed_until from public.org_scan_state where org_id = ${busy.id}`;
    expect(st!.last_scan_at).not.toBeNull();
    expect(st!.last_news_at).not.toBeNull();
    expect(st!.claimed_until).toBeNull();

    // More news right after: not due until 30 s after the last scan started (a busy org was
    // rescanned back to back), then scanned by the stack's own rounds.
    await insertWorld(sql, busy.id, [eventAt(`d2-${busy.id}`, 'fire', Date.now() - 30_000, cells[1]!)]);
    const [{ age } = { age: 0 }] = await sql<{ age: number }[]>`
      select extract(epoch from now() - last_scan_at)::float8 as age from public.org_scan_state where org_id = ${busy.id}`;
    if (age < 25) expect(await due(busy.id)).toBeNull();
    expect((await sql<{ reason: string }[]>`select reason from public.due_scans(min_interval => interval '0') where org_id = ${busy.id}`)[0]?.reason).toBe('news');
    await newsConsumed([busy.id]);
    const scans = (await cronRuns([busy.id])).filter((r) => r.status === 'succeeded');
    expect(scans.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < scans.length; i++) {
      expect(scans[i]!.started_at.getTime() - scans[i - 1]!.started_at.getTime()).toBeGreaterThanOrEqual(30_000);
    }
  }, 180_000);

  it('an org whose scans are switched off is never due, and its news is dropped by the next round', async () => {
    const off = await createTestOrg(sql, 'dispatch-off');
    await sql`update public.org_settings set scan = scan || '{"scheduled": false}' where org_id = ${off.id}`;
    await insertWorld(sql, off.id, [eventAt(`o-${off.id}`, 'fire', Date.now() - 60_000, area(40.75, -73.99, 1)[0]!)]);
    expect(await due(off.id)).toBeNull();
    const r = await waitedRound();
    expect(r).toMatchObject({ round: 'ran', scanned: expect.any(Number), abandoned: expect.any(Number), dropped_news: expect.any(Number) });
    expect(await newsOf(off.id)).toBe(0);
    expect(await cronRuns([off.id])).toEqual([]);
  });

  it('at most two scans are in flight, every due org is scanned, oldest news first', async () => {
    const orgs = await Promise.all(Array.from({ length: 6 }, (_, i) => createTestOrg(sql, `dispatch-lane${i}`)));
    const cells = area(40.75, -73.99, 2);
    for (const o of orgs) await hold(o.id, true);
    for (const [i, o] of orgs.entries()) {
      await insertWorld(sql, o.id, Array.from({ length: 30 }, (_, j) => eventAt(`l-${o.id}-${j}`, 'fire', Date.now() - (j + 1) * 60_000, cells[(i + j) % cells.length]!)));
    }
    for (const o of orgs) await hold(o.id, false);
    await newsConsumed(orgs.map((o) => o.id));
    const runs = await cronRuns(orgs.map((o) => o.id));
    const done = runs.filter((r) => r.status === 'succeeded' && r.finished_at !== null);
    // Every org scanned to the end. A scan that did not (cut short by a worker limit on a loaded
    // machine: it commits nothing and leaves its news; or skipped at the write lock) is followed or
    // accompanied by one that did, so nothing is lost.
    expect(new Set(done.map((r) => r.org_id)).size).toBe(6);
    const others = runs.filter((x) => !done.includes(x)).map((r) => `org ${orgs.findIndex((o) => o.id === r.org_id)}: ${r.status}`);
    if (others.length) console.log(`scan-dispatch: runs that did not succeed: ${others.join(', ')}`);
    // The most scans running at one instant (scans that ran to the end).
    const edges = done.flatMap((r) => [[r.started_at.getTime(), 1], [r.finished_at!.getTime(), -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let inFlight = 0;
    let most = 0;
    for (const [, d] of edges) most = Math.max(most, (inFlight += d));
    expect(most).toBeLessThanOrEqual(2);
    // News was inserted in org order: the first-scanned org is among the first two claimed.
    const firstTwo = runs.slice(0, 2).map((r) => r.org_id);
    expect(firstTwo).toContain(orgs[0]!.id);
  }, 120_000);

  it('an event committed while a scan runs keeps its news for the next round; an open hotspot is due again at the next bucket', async () => {
    const NOW = Math.floor(Date.now() / HOUR) * HOUR + 12 * 24 * HOUR + 30 * 60_000;
    const org = await createTestOrg(sql, 'dispatch-race');
    await hold(org.id, true);
    await sql`update public.orgs set created_at = ${new Date(NOW - 30 * 24 * HOUR)} where id = ${org.id}`;
    const cells = area(40.75, -73.99, 4);
    await insertWorld(sql, org.id, [...background(cells, NOW), ...burst(gridDisk(cells[0]!, 1), 40, NOW)]);
    const before = await newsOf(org.id);
    expect(before).toBeGreaterThan(0);

    // The scan waits in its retrieval step (after its cube read) while another event commits.
    let phrasing!: () => void;
    const reached = new Promise<void>((r) => { phrasing = r; });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: Phraser = { model: 'gate', async phrase() { phrasing(); await gate; return null; } };
    const scan = runScan({ sql, engine: scanCube, now: () => NOW, phraser: slow }, org.id, 'manual');
    await reached;
    await insertWorld(sql, org.id, [eventAt(`late-${org.id}`, 'fire', NOW - 60_000, cells[1]!)]);
    release();
    const r = await scan;
    expect(r.status).toBe('succeeded');
    expect(r.hotspots.inserted).toBeGreaterThan(0);
    // Only the late event's news is left.
    expect(await newsOf(org.id)).toBe(1);
    await hold(org.id, false);
    // Due once 30 s have passed since the scan started (the schedule's minimum interval).
    expect(await due(org.id)).toBeNull();
    await sql`update public.org_scan_state set last_scan_at = now() - interval '31 seconds' where org_id = ${org.id}`;
    expect(await due(org.id)).toBe('news');

    // No news, an open hotspot: due only once a bucket has begun since its last scan.
    await sql`delete from public.scan_news where org_id = ${org.id}`;
    await sql`update public.org_scan_state set last_scan_at = now() where org_id = ${org.id}`;
    expect(await due(org.id)).toBeNull();
    await sql`update public.org_scan_state set last_scan_at = now() - interval '1 hour' where org_id = ${org.id}`;
    expect(await due(org.id)).toBe('bucket');
    await hold(org.id, true);
    expect(await due(org.id)).toBeNull();
  });
});
