/**
 * The SDK against the shared embedded stack with the official clients underneath:
 * snapshot then live on all three streams over both transports, a client socket drop
 * with a transaction open across the reconnect, unsubscribe, filters, RLS, token refresh.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHotwatch, type Hotwatch, type StreamName, type Transport } from '../../../client-sdk/src/index.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import {
  bump, closeClients, dbState, diff, dropSocket, insertChain, memberClient, mintToken, orgPlaybook, Recorder, sleep,
  STREAMS, viewerClaims, waitFor, type Chain,
} from './helpers.ts';

const info = inject('stack');
const sql = adminSql(6);
const hws: Hotwatch[] = [];
afterAll(async () => {
  await Promise.all(hws.splice(0).map((h) => h.close()));
  await closeClients();
  await sql.end();
});

async function setup(label: string): Promise<{ org: TestOrg; playbook: string; token: string }> {
  const org = await createTestOrg(sql, label.replace(/_/g, "-"));
  const playbook = await orgPlaybook(sql, org.id);
  const token = await mintToken(info.jwtSecret, viewerClaims(org.id, org.viewer.id));
  return { org, playbook, token };
}

function sdk(token: string, transport: Transport, extra: Parameters<typeof createHotwatch>[1] = {}): { hw: Hotwatch; client: ReturnType<typeof memberClient> } {
  const client = memberClient(info.apiUrl, info.anonKey, token);
  const hw = createHotwatch(client, { transport, ...extra });
  hws.push(hw);
  return { hw, client };
}

async function settled(orgId: string, rec: Recorder, what: string, streams: StreamName[] = STREAMS): Promise<void> {
  let last: string[] = [];
  await waitFor(async () => (last = diff(await dbState(sql, orgId), rec, streams)).length === 0, 30_000, () => `${what}: ${last.slice(0, 5).join('; ')}`);
  expect(rec.violations).toEqual([]);
}

describe.each(['postgres_changes', 'broadcast'] as const)('SDK over %s', (transport) => {
  it('all three streams: snapshot, then live inserts and updates, equal to the database', async () => {
    const { org, playbook, token } = await setup(`sdk-${transport}`);
    const before: Chain[] = [];
    for (let i = 0; i < 3; i++) before.push(await insertChain(sql, org.id, `pre-${i}`, playbook));
    const { hw } = sdk(token, transport);
    const rec = new Recorder();
    for (const s of STREAMS) hw.subscribe(s, rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => `live (status ${hw.status})`);
    expect(rec.latest.size).toBe(9);
    const after: Chain[] = [];
    for (let i = 0; i < 3; i++) after.push(await insertChain(sql, org.id, `post-${i}`, playbook));
    const all = [...before, ...after];
    await bump(sql, { hotspots: all.map((c) => c.hotspot), alerts: all.map((c) => c.alert), recommendations: all.map((c) => c.recommendation) });
    await bump(sql, { hotspots: [all[0]!.hotspot] });
    await settled(org.id, rec, 'all streams');
    expect(rec.version('hotspots', all[0]!.hotspot)).toBe(3);
    expect(rec.errors).toEqual([]);
  });

  it('a transaction open across a socket drop and committed after the reconnect arrives exactly once', async () => {
    const { org, playbook, token } = await setup(`sdk-tx-${transport}`);
    const chain = await insertChain(sql, org.id, 'tx', playbook);
    const { hw, client } = sdk(token, transport, { retry: { initialDelayMs: 200 } });
    const rec = new Recorder();
    hw.subscribe('alerts', rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update public.alerts set notify_count = notify_count + 10 where id = ${chain.alert}`;
      // Under load realtime-js may itself be between sockets (a missed heartbeat): cut an open one.
      // The whole reconnect can complete between two polls, so wait for the recorded status event.
      const lostBefore = rec.statuses.filter((s) => s === 'reconnecting').length;
      await waitFor(() => dropSocket(client), 10_000, () => 'an open socket to drop');
      await waitFor(() => rec.statuses.filter((s) => s === 'reconnecting').length > lostBefore, 10_000, () => `the drop to be noticed (statuses ${rec.statuses.join(' → ')})`);
      await waitFor(() => hw.status === 'live', 30_000, () => `live again (status ${hw.status})`);
      expect(rec.version('alerts', chain.alert)).toBe(1);
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    await settled(org.id, rec, 'late commit', ['alerts']);
    expect(rec.version('alerts', chain.alert)).toBe(2);
    expect(rec.latest.get(`alerts:${chain.alert}`)?.notify_count).toBe(10);
    expect(rec.statuses).toContain('reconnecting');
  });

  it('unsubscribe stops delivery and leaves no channel behind', async () => {
    const { org, playbook, token } = await setup(`sdk-unsub-${transport}`);
    const chain = await insertChain(sql, org.id, 'u', playbook);
    const { hw, client } = sdk(token, transport);
    const rec = new Recorder();
    const unsubscribe = hw.subscribe('hotspots', rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    await bump(sql, { hotspots: [chain.hotspot] });
    await waitFor(() => rec.version('hotspots', chain.hotspot) === 2, 10_000, () => 'v2');
    await unsubscribe();
    expect(client.getChannels()).toEqual([]);
    expect(hw.status).toBe('offline');
    const upserts = rec.upserts;
    await bump(sql, { hotspots: [chain.hotspot] });
    await sleep(1_000);
    expect(rec.upserts).toBe(upserts);
  });
});

describe('SDK filters and tenancy', () => {
  it('status/severity filters apply after merging, with removed when a row leaves them', async () => {
    const { org, playbook, token } = await setup('sdk-filter');
    const a = await insertChain(sql, org.id, 'f1', playbook);
    const b = await insertChain(sql, org.id, 'f2', playbook);
    const { hw } = sdk(token, 'postgres_changes');
    const open = new Recorder();
    const severe = new Recorder();
    hw.subscribe('alerts', open.handler, { orgId: org.id, status: ['pending', 'firing'], onError: open.onError });
    hw.subscribe('hotspots', severe.handler, { orgId: org.id, severity: ['critical'], onError: severe.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    expect([...open.latest.keys()].sort()).toEqual([`alerts:${a.alert}`, `alerts:${b.alert}`].sort());
    expect(severe.latest.size).toBe(0);
    await sql`update public.alerts set state = 'acknowledged' where id = ${a.alert}`;
    await sql`update public.alerts set state = 'firing' where id = ${b.alert}`;
    await sql`update public.hotspots set severity = 'critical' where id = ${b.hotspot}`;
    await waitFor(() => open.removed.length === 1 && open.version('alerts', b.alert) === 2 && severe.latest.size === 1, 10_000,
      () => `filters (removed ${open.removed.join(',')}, severe ${severe.latest.size})`);
    expect(open.removed).toEqual([`alerts:${a.alert}@2`]);
    expect(severe.version('hotspots', b.hotspot)).toBe(2);
    await sql`update public.hotspots set severity = 'low' where id = ${b.hotspot}`;
    await waitFor(() => severe.removed.length === 1, 10_000, () => 'hotspot removed');
  });

  it('never delivers another org\'s rows; a category filter without org is server-side', async () => {
    const mine = await setup('sdk-mine');
    const other = await setup('sdk-other');
    await insertChain(sql, other.org.id, 'theirs', other.playbook);
    const { hw } = sdk(mine.token, 'postgres_changes');
    const all = new Recorder();
    const fire = new Recorder();
    hw.subscribe('hotspots', all.handler, { onError: all.onError });
    hw.subscribe('hotspots', fire.handler, { category: 'flood', onError: fire.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    const c = await insertChain(sql, mine.org.id, 'mine', mine.playbook);
    await insertChain(sql, other.org.id, 'theirs-2', other.playbook);
    await waitFor(() => all.version('hotspots', c.hotspot) === 1, 10_000, () => 'my row');
    await sleep(500);
    for (const row of all.latest.values()) expect(row.org_id).toBe(mine.org.id);
    expect(fire.latest.size).toBe(0);
    expect(hw.feeds().map((f) => f.key).sort()).toEqual(['postgres_changes|hotspots|*|*', 'postgres_changes|hotspots|*|flood']);
  });
});

describe('SDK token refresh', () => {
  it('setAuth mid-stream: no loss, the channel outlives the first token', async () => {
    const { org, playbook } = await setup('sdk-token');
    const short = await mintToken(info.jwtSecret, viewerClaims(org.id, org.viewer.id), 5);
    const chain = await insertChain(sql, org.id, 't', playbook);
    const { hw } = sdk(short, 'postgres_changes', { tokenReconcileDelayMs: 200 });
    const rec = new Recorder();
    hw.subscribe('hotspots', rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    const end = Date.now() + 8_000;
    let refreshed = false;
    while (Date.now() < end) {
      await bump(sql, { hotspots: [chain.hotspot] });
      if (!refreshed && Date.now() > end - 6_000) {
        refreshed = true;
        await hw.setAuth(await mintToken(info.jwtSecret, viewerClaims(org.id, org.viewer.id), 3600));
      }
      await sleep(100);
    }
    await settled(org.id, rec, 'after refresh', ['hotspots']);
    expect(rec.errors.map((e) => e.message)).toEqual([]);
    expect(rec.statuses).not.toContain('reconnecting');
  });

  it('an expired token closes the channel; the accessToken provider brings it back with nothing lost', async () => {
    const { org, playbook, token } = await setup('sdk-expiry');
    const chain = await insertChain(sql, org.id, 'e', playbook);
    let minted = 0;
    // First join: a 3-second token; every rejoin after that: a fresh one-hour token.
    const provider = (): Promise<string> => mintToken(info.jwtSecret, viewerClaims(org.id, org.viewer.id), ++minted === 1 ? 3 : 3600);
    const { hw } = sdk(token, 'postgres_changes', { accessToken: provider, retry: { initialDelayMs: 200 } });
    const rec = new Recorder();
    hw.subscribe('alerts', rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => hw.status === 'live', 20_000, () => 'live');
    const end = Date.now() + 7_000;
    while (Date.now() < end) {
      await bump(sql, { alerts: [chain.alert] });
      await sleep(100);
    }
    await settled(org.id, rec, 'after expiry', ['alerts']);
    expect(minted).toBeGreaterThanOrEqual(2);
    expect(rec.errors[0]?.message).toMatch(/expired/i);
    expect(rec.statuses).toContain('reconnecting');
  });
});
