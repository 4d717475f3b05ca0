/**
 * The guarantee under faults, on a stack of its own (the Realtime server is restarted
 * here) whose Realtime delays "Subscribed to PostgreSQL" by 2 s after SUBSCRIBED, as
 * hosted Supabase sometimes does:
 *   - changes written while the server is not yet confirmed are not lost;
 *   - a transaction open across a Realtime restart, committed after it, arrives once;
 *   - soak: 500 stream-row changes/s for 60 s while the socket is cut or Realtime
 *     restarted every 3–7 s; both transports end equal to the database, versions in
 *     order per row, none twice.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHotwatch, type Hotwatch, type StreamName, type Transport } from '../../../client-sdk/src/index.ts';
import type { RealtimeService } from '../../../stack/src/realtime/service.ts';
import { startStack, type Stack } from '../../../stack/src/start.ts';
import { createTestOrg } from '../../support/fixtures.ts';
import { testLogFile } from '../../support/stack-log.ts';
import { freeStackPorts } from '../../support/ports.ts';
import {
  bump, closeClients, dbState, diff, dropSocket, insertChain, memberClient, mintToken, orgPlaybook, Recorder, sleep,
  STREAMS, viewerClaims, waitFor, type Chain,
} from './helpers.ts';

const SYSTEM_MESSAGE_DELAY_MS = 2_000;
const deadlocks: string[] = [];
const SOAK_MS = 60_000;
const SOAK_RATE = 500; // stream-row changes per second
/** Between disruptions: uniform in this range (recovery takes ≥ 2 s here: the confirmation delay). */
const DISRUPT_EVERY_MS: [number, number] = [3_000, 7_000];

let stack: Stack;
let root: string;
let sql: Sql;
const hws: Hotwatch[] = [];

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-sdk-'));
  await fs.chmod(root, 0o755);
  stack = await startStack({
    dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true, logFile: testLogFile('sdk-resilience'),
    realtime: { systemMessageDelayMs: SYSTEM_MESSAGE_DELAY_MS },
  });
  // The load's commits need not wait for fsync (visibility and replication are unchanged).
  sql = postgres(stack.dbUrl, { max: 6, onnotice: () => {}, connection: { synchronous_commit: 'off' } });
});

afterAll(async () => {
  await Promise.all(hws.splice(0).map((h) => h.close()));
  await closeClients();
  await sql?.end();
  await stack?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const realtime = (): RealtimeService => stack.services.get('realtime') as RealtimeService;

async function subscriber(orgId: string, viewerId: string, transport: Transport): Promise<{ hw: Hotwatch; rec: Recorder; client: ReturnType<typeof memberClient> }> {
  const token = await mintToken(stack.config.keys.jwtSecret, viewerClaims(orgId, viewerId));
  const client = memberClient(stack.apiUrl, stack.config.keys.anonKey, token);
  const hw = createHotwatch(client, { transport, retry: { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 50 } });
  hws.push(hw);
  const rec = new Recorder();
  for (const s of STREAMS) hw.subscribe(s, rec.handler, { orgId, onError: rec.onError });
  return { hw, rec, client };
}

async function settled(orgId: string, rec: Recorder, what: string, timeoutMs = 30_000, streams: StreamName[] = STREAMS): Promise<void> {
  let last: string[] = [];
  await waitFor(async () => (last = diff(await dbState(sql, orgId), rec, streams)).length === 0, timeoutMs,
    () => `${what}: ${last.length} differences, e.g. ${last.slice(0, 5).join('; ')}`);
  expect(rec.violations).toEqual([]);
}

/**
 * Write `rate` stream-row changes per second until `until`: `writers` concurrent loops over
 * disjoint sets of chains (no lock waits between them), one transaction per batch, and a
 * new chain every 2 s. Returns the number of row changes written.
 */
async function load(chains: Chain[], rate: number, until: number, onInsert: () => Promise<Chain>, writers = 3): Promise<number> {
  const parts: Chain[][] = Array.from({ length: writers }, () => []);
  chains.forEach((c, i) => parts[i % writers]!.push(c));
  const loop = async (part: Chain[], share: number, inserts: boolean): Promise<number> => {
    const start = Date.now();
    let done = 0;
    let nextInsert = start + 2_000;
    while (Date.now() < until) {
      const due = Math.floor((share * (Date.now() - start)) / 1000) - done;
      if (due <= 0) {
        await sleep(5);
        continue;
      }
      const ids: Record<StreamName, Set<number>> = { hotspots: new Set(), alerts: new Set(), recommendations: new Set() };
      for (let i = 0; i < Math.min(due, 60); i++) {
        const c = part[Math.floor(Math.random() * part.length)]!;
        const s = STREAMS[i % 3]!;
        ids[s].add(s === 'hotspots' ? c.hotspot : s === 'alerts' ? c.alert : c.recommendation);
      }
      // A deadlock (40P01) was seen a few times here although the writers touch disjoint
      // rows; a rolled-back batch writes nothing, so retry it (and count it).
      for (let attempt = 0; ; attempt++) {
        try {
          await bump(sql, { hotspots: [...ids.hotspots], alerts: [...ids.alerts], recommendations: [...ids.recommendations] });
          break;
        } catch (e) {
          const pe = e as { code?: string; detail?: string };
          if (pe.code !== '40P01' || attempt >= 3) throw e;
          deadlocks.push(pe.detail ?? '');
        }
      }
      done += ids.hotspots.size + ids.alerts.size + ids.recommendations.size;
      if (inserts && Date.now() > nextInsert) {
        nextInsert += 2_000;
        part.push(await onInsert());
        done += 3;
      }
    }
    return done;
  };
  const counts = await Promise.all(parts.map((part, i) => loop(part, rate / writers, i === 0)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Milliseconds spent in each status (for the log). */
function statusTimes(hw: Hotwatch): () => Record<string, number> {
  const times: Record<string, number> = {};
  let current: string = hw.status;
  let since = Date.now();
  hw.onStatus((s) => {
    times[current] = (times[current] ?? 0) + Date.now() - since;
    current = s;
    since = Date.now();
  });
  return () => ({ ...times, [current]: (times[current] ?? 0) + Date.now() - since });
}

describe('SDK resilience (own stack, system message delayed 2 s)', () => {
  it('changes written before the server confirms it is listening are not lost', async () => {
    const org = await createTestOrg(sql, 'sdk-delay');
    const playbook = await orgPlaybook(sql, org.id);
    const chains: Chain[] = [];
    for (let i = 0; i < 5; i++) chains.push(await insertChain(sql, org.id, `d${i}`, playbook));
    const writing = load(chains, 100, Date.now() + 5_000, () => insertChain(sql, org.id, `d${Date.now()}`, playbook), 1);
    await sleep(300);
    const t0 = Date.now();
    const { hw, rec } = await subscriber(org.id, org.viewer.id, 'postgres_changes');
    let catchingUpAt = 0;
    hw.onStatus((s) => { if (s === 'catching-up' && !catchingUpAt) catchingUpAt = Date.now(); });
    await writing;
    await settled(org.id, rec, 'delayed confirmation');
    // The snapshot waited for the server's confirmation, not just SUBSCRIBED.
    expect(catchingUpAt - t0).toBeGreaterThanOrEqual(SYSTEM_MESSAGE_DELAY_MS - 100);
  });

  it('a transaction open across a Realtime restart and committed after the reconnect arrives exactly once', async () => {
    const org = await createTestOrg(sql, 'sdk-restart-tx');
    const playbook = await orgPlaybook(sql, org.id);
    const chain = await insertChain(sql, org.id, 'rtx', playbook);
    const p = await subscriber(org.id, org.viewer.id, 'postgres_changes');
    const b = await subscriber(org.id, org.viewer.id, 'broadcast');
    await waitFor(() => p.hw.status === 'live' && b.hw.status === 'live', 30_000, () => `live (${p.hw.status}, ${b.hw.status})`);
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update public.recommendations set score = score + 100 where id = ${chain.recommendation}`;
      await realtime().restart();
      await waitFor(() => p.rec.statuses.includes('reconnecting') && b.rec.statuses.includes('reconnecting'), 10_000, () => 'the restart to be noticed');
      await waitFor(() => p.hw.status === 'live' && b.hw.status === 'live', 30_000, () => `live again (${p.hw.status}, ${b.hw.status})`);
      await reserved`commit`;
    } finally {
      reserved.release();
    }
    for (const s of [p, b]) {
      await settled(org.id, s.rec, 'late commit');
      expect(s.rec.version('recommendations', chain.recommendation)).toBe(2);
    }
  });

  it(`soak: ${SOAK_RATE} changes/s for ${SOAK_MS / 1000} s, socket cut or Realtime restarted every ${DISRUPT_EVERY_MS[0] / 1000}–${DISRUPT_EVERY_MS[1] / 1000} s, both transports`, async () => {
    const org = await createTestOrg(sql, 'sdk-soak');
    const playbook = await orgPlaybook(sql, org.id);
    const chains: Chain[] = [];
    for (let i = 0; i < 60; i++) chains.push(await insertChain(sql, org.id, `s${i}`, playbook));
    const subs = [await subscriber(org.id, org.viewer.id, 'postgres_changes'), await subscriber(org.id, org.viewer.id, 'broadcast')];
    await waitFor(() => subs.every((s) => s.hw.status === 'live'), 30_000, () => 'live');

    const times = subs.map((s) => statusTimes(s.hw));
    const until = Date.now() + SOAK_MS;
    let disruptions = 0;
    const disrupt = (async () => {
      for (;;) {
        const wait = DISRUPT_EVERY_MS[0] + Math.random() * (DISRUPT_EVERY_MS[1] - DISRUPT_EVERY_MS[0]);
        if (Date.now() + wait > until - 1_000) break;
        await sleep(wait);
        if (disruptions++ % 2 === 0) for (const s of subs) dropSocket(s.client);
        else await realtime().restart();
      }
    })();
    const written = await load(chains, SOAK_RATE, until, () => insertChain(sql, org.id, `s${Date.now()}`, playbook));
    await disrupt;
    const [total] = await sql<{ n: number }[]>`
      select (select coalesce(sum(version), 0) from public.hotspots where org_id = ${org.id})
           + (select coalesce(sum(version), 0) from public.alerts where org_id = ${org.id})
           + (select coalesce(sum(version), 0) from public.recommendations where org_id = ${org.id}) as n`;
    for (const s of subs) await settled(org.id, s.rec, 'soak', 90_000);
    const feeds = subs.map((s) => s.hw.feeds().map((f) => f.stats));
    if (deadlocks.length) console.log(`[sdk soak] ${deadlocks.length} write batches retried after a deadlock:`, deadlocks);
    console.log(`[sdk soak] wrote ${written} changes in ${SOAK_MS / 1000} s (${Math.round(written / (SOAK_MS / 1000))}/s; ${total?.n} row versions in total), ${disruptions} disruptions;`,
      subs.map((s, i) => `${i ? 'broadcast' : 'postgres_changes'}: ${s.rec.upserts} upserts, ${feeds[i]!.reduce((a, f) => a + f.catchUps, 0)} catch-ups, ${feeds[i]!.reduce((a, f) => a + f.rowsFetched, 0)} rows fetched, ${s.rec.errors.length} errors reported, ms per status ${JSON.stringify(times[i]!())}`).join('; '));
    expect(disruptions).toBeGreaterThanOrEqual(8);
    for (const s of subs) expect(s.rec.statuses.filter((x) => x === 'reconnecting').length).toBeGreaterThanOrEqual(disruptions);
  }, 300_000);
});
