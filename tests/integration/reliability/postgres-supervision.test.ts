/**
 * #14 part 2: PostgreSQL killed -9 under a running stack (started by startStack, the code
 * path `npm start` runs) is brought back by the stack's supervisor, and everything
 * reconnects by itself — checked with the official supabase-js client: REST answers
 * 503 PGRST000 during the gap and 200 again, a Realtime subscriber stays live and gets
 * later changes, an ingest during the outage is refused (never half-stored) and stored
 * once when retried, every event acknowledged before the crash is there, sign-in and the
 * pg_net worker work again, and the Realtime replication slot is streaming again.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { cellToLatLng } from 'h3-js';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashPostgres, firstRest200 } from '../../support/crash.ts';
import { createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { closeClients, sb, sleep } from '../../support/hardening.ts';
import { as, collector, insertHotspot, mintToken, statusLog, type Change } from '../realtime/helpers.ts';
import { startOwnStack, type OwnStack } from './fault-kit.ts';
import { area, type WireEvent } from './world.ts';

let own: OwnStack;
let org: TestOrg;

beforeAll(async () => {
  own = await startOwnStack();
  org = await createTestOrg(own.sql, 'supervised');
}, 180_000);

afterAll(async () => {
  await closeClients();
  await own?.stop();
});

/** An ingest producer on supabase-js: numbered batches of events, each answer recorded. */
class Producer {
  readonly acknowledged: WireEvent[][] = [];
  readonly refused: WireEvent[][] = [];
  private n = 0;
  private readonly cells = area(40.75, -73.99, 2);

  constructor(private readonly client: SupabaseClient, private readonly orgId: string) {}

  batch(size = 5): WireEvent[] {
    const b = this.n++;
    return Array.from({ length: size }, (_, i) => {
      const [lat, lng] = cellToLatLng(this.cells[(b * size + i) % this.cells.length]!);
      return { source: 'supervision', external_id: `sup-${b}-${i}`, category: 'fire', occurred_at: new Date(Date.now() - 3_600_000).toISOString(), lat, lng };
    });
  }

  /** One attempt: true when ingest-events answered 200 (the events are acknowledged). */
  async send(events: WireEvent[]): Promise<boolean> {
    const { data, error } = await this.client.functions.invoke<{ accepted: number; duplicate: number; rejected: number }>('ingest-events', {
      body: { org_id: this.orgId, events },
    });
    const ok = !error && data !== null && data.rejected === 0;
    (ok ? this.acknowledged : this.refused).push(events);
    return ok;
  }
}

async function storedIds(sql: Sql, orgId: string): Promise<Set<string>> {
  const rows = await sql<{ external_id: string }[]>`select external_id from public.events where org_id = ${orgId} and source = 'supervision'`;
  return new Set(rows.map((r) => r.external_id));
}

describe('PostgreSQL supervised by the stack', () => {
  it('kill -9 of the postmaster: restarted on its data directory, every service reconnects, nothing acknowledged is lost', async () => {
    const { stack } = own;
    const { anonKey, serviceRoleKey, jwtSecret } = stack.config.keys;
    const viewerToken = await mintToken(jwtSecret, org.viewerClaims);
    const viewer = sb(viewerToken, { apiUrl: stack.apiUrl, key: anonKey });
    const service = sb(undefined, { apiUrl: stack.apiUrl, key: serviceRoleKey });
    const producer = new Producer(service, org.id);

    // A live Realtime subscriber and acknowledged ingests before the crash.
    const got = collector<Change>();
    const channel = viewer.channel(`supervised-${org.id}`)
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'hotspots', filter: `org_id=eq.${org.id}` }, as(got.push));
    const status = statusLog(channel);
    await status.wait('SUBSCRIBED');
    await insertHotspot(own.sql, org.id, 'before-crash');
    await got.wait(1);
    for (let i = 0; i < 5; i++) expect(await producer.send(producer.batch()), 'an ingest before the crash').toBe(true);
    await own.sql.end({ timeout: 1 }); // postgres.js must not be connected across the crash (fault-kit.ts)

    const killedAt = await crashPostgres(stack);
    // REST polled from the kill on, and an ingest while PostgreSQL is down (the first restart attempt waits 0.5 s).
    const duringOutage = producer.batch();
    const [{ recoveryMs, gap }, ingested] = await Promise.all([firstRest200(viewer, 'hotspots', killedAt), producer.send(duringOutage)]);
    expect(ingested, 'an ingest during the outage is refused').toBe(false);
    expect(stack.postgres.state).toBe('running');
    expect(gap.length, 'REST was down for a while').toBeGreaterThan(0);
    for (const a of gap) expect(a, 'REST during the gap').toEqual({ status: 503, code: 'PGRST000', message: 'Database connection error. Retrying the connection.' });
    expect(recoveryMs).toBeLessThan(30_000);

    own.sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {}, connect_timeout: 5 });
    const sql = own.sql;
    // Nothing acknowledged is lost; the refused batch is not half-stored, and stored exactly once when retried.
    let stored = await storedIds(sql, org.id);
    const acked = producer.acknowledged.flat().map((e) => e.external_id);
    expect(acked.filter((id) => !stored.has(id)), 'acknowledged events missing after recovery').toEqual([]);
    for (const b of producer.refused) {
      const n = b.filter((e) => stored.has(e.external_id)).length;
      expect([0, b.length], 'a refused batch is stored entirely or not at all').toContain(n);
    }
    let retried = false;
    for (let i = 0; i < 50 && !retried; i++) {
      retried = await producer.send(duringOutage);
      if (!retried) await sleep(200);
    }
    expect(retried, 'the refused batch is accepted when retried').toBe(true);
    stored = await storedIds(sql, org.id);
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${org.id} and source = 'supervision'`;
    expect(count!.n, 'every event stored exactly once').toBe(6 * 5);
    expect(duringOutage.every((e) => stored.has(e.external_id))).toBe(true);

    // Realtime: the replication slot streams again and the subscriber, still joined, gets later changes.
    await expect.poll(async () => (await sql`select active from pg_replication_slots where slot_name = 'supabase_realtime_replication_slot'`)[0]?.active, { timeout: 30_000 }).toBe(true);
    await insertHotspot(sql, org.id, 'after-crash');
    await got.wait(2, 30_000);
    expect(got.items.map((c) => c.new.dedup_key)).toEqual(['before-crash', 'after-crash']);
    expect(status.statuses.at(-1)?.status).toBe('SUBSCRIBED');

    // Auth and the pg_net worker reconnected too.
    const signIn = await sb(undefined, { apiUrl: stack.apiUrl, key: anonKey }).auth.signInWithPassword({ email: org.operator.email, password: TEST_PASSWORD });
    expect(signIn.error).toBeNull();
    const [request] = await sql<{ id: string }[]>`select net.http_get(${`${stack.apiUrl}/auth/v1/health`})::text as id`;
    await expect.poll(async () => (await sql<{ status_code: number }[]>`select status_code from net._http_response where id = ${request!.id}`)[0]?.status_code, { timeout: 30_000 }).toBe(200);
  }, 180_000);
});
