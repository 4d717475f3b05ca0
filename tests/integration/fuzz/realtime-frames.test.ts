/**
 * Fuzzing /realtime/v1/websocket with raw frames: vsn 1.0.0 (objects) and 2.0.0
 * (arrays) text frames built from Phoenix's grammar with hostile values, and binary
 * frames of every kind with lying length bytes (kind 3 especially). Invariants: the
 * server answers or closes only the offending socket; another client's subscription
 * keeps delivering; nobody ever receives org B's rows; nothing is written; the stack
 * still answers a health check and a heartbeat afterwards.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import {
  assertAlive, closeClients, createSecretOrg, footprint, orgTokens, realtimeHeartbeat, sb, stackInfo, waitFor, type SecretOrg,
} from '../../support/hardening.ts';

const info = stackInfo();
const sql = adminSql(4);
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const WS_URL = `${info.apiUrl.replace(/^http/, 'ws')}/realtime/v1/websocket`;
let a: SecretOrg;
let b: SecretOrg;
let tokenA: string;

beforeAll(async () => {
  a = await createSecretOrg(sql, 'fuzz-rt-a');
  b = await createSecretOrg(sql, 'fuzz-rt-b');
  tokenA = orgTokens(a).viewer;
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

type Vsn = '1.0.0' | '2.0.0';

/** Everything one raw socket saw. */
interface Probe {
  ws: WebSocket;
  received: string[];
  closed: Promise<{ code: number; reason: string }>;
}

function open(vsn: Vsn, key: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${WS_URL}?apikey=${encodeURIComponent(key)}&vsn=${vsn}`);
    const received: string[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));
    ws.on('message', (d, isBinary) => received.push(isBinary ? Buffer.from(d as Buffer).toString('latin1') : String(d)));
    ws.once('open', () => resolve({ ws, received, closed }));
    ws.once('error', reject);
  });
}

function frame(vsn: Vsn, joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): string {
  return vsn === '2.0.0' ? JSON.stringify([joinRef, ref, topic, event, payload]) : JSON.stringify({ join_ref: joinRef, ref, topic, event, payload });
}

// ---- arbitraries --------------------------------------------------------------------------

const TOPICS = (orgA: string, orgB: string) => fc.oneof(
  fc.constantFrom('realtime:fuzz', 'realtime:', 'phoenix', 'realtime:public:hotspots', `realtime:org:${orgA}:hotspots`, `realtime:org:${orgB}:hotspots`,
    `realtime:org:${orgB}:alerts`, 'realtime:org:*:hotspots', 'realtime:' + 'x'.repeat(300), 'realtime:\u0000', 'nope'),
  fc.string({ maxLength: 30 }),
);
const EVENTS = fc.oneof(
  fc.constantFrom('phx_join', 'phx_leave', 'heartbeat', 'access_token', 'broadcast', 'presence', 'phx_close', 'phx_error', 'phx_reply', 'postgres_changes', 'system', ''),
  fc.string({ maxLength: 12 }),
);
const FILTERS = (orgB: string) => fc.oneof(
  fc.constantFrom(`org_id=eq.${orgB}`, 'org_id=neq.x', 'id=in.(1,2,3)', 'id=gt.0', 'dedup_key=eq.\'', 'severity=in.()', 'x=eq.1', 'id=eq.', '=eq.1',
    'id=in.(' + '1,'.repeat(200) + '1)', 'id=like.%', 'org_id=is.null', 'id=eq.1;drop table x', 'id'),
  fc.string({ maxLength: 30 }),
);
const binding = (orgB: string) => fc.record({
  event: fc.constantFrom('*', 'INSERT', 'UPDATE', 'DELETE', 'insert', 'TRUNCATE', ''),
  schema: fc.constantFrom('public', '*', 'auth', 'realtime', 'pg_catalog', ''),
  table: fc.constantFrom('hotspots', 'alerts', 'recommendations', '*', 'events', 'memberships', 'users', ''),
  filter: FILTERS(orgB),
}, { requiredKeys: [] });
const joinPayload = (orgB: string, badToken: string) => fc.oneof(
  fc.record({
    config: fc.record({
      broadcast: fc.record({ self: fc.anything({ maxDepth: 0 }), ack: fc.boolean(), replay: fc.anything({ maxDepth: 1 }) }, { requiredKeys: [] }),
      presence: fc.record({ key: fc.anything({ maxDepth: 0 }), enabled: fc.anything({ maxDepth: 0 }) }, { requiredKeys: [] }),
      postgres_changes: fc.oneof(fc.array(fc.oneof(binding(orgB), fc.anything({ maxDepth: 1 })), { maxLength: 4 }), fc.anything({ maxDepth: 1 })),
      private: fc.anything({ maxDepth: 0 }),
    }, { requiredKeys: [] }),
    access_token: fc.oneof(fc.constant(undefined), fc.constantFrom(badToken, '', 'sb_publishable_x', 'a.b.c', 'null'), fc.string({ maxLength: 40 })),
  }, { requiredKeys: [] }),
  fc.anything({ maxDepth: 2 }),
);
const textFrame = (vsn: Vsn, orgA: string, orgB: string, badToken: string) => fc.oneof(
  { weight: 12, arbitrary: fc.tuple(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom(null, '1', '2') }, { weight: 1, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: fc.anything({ maxDepth: 0 }) }),
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('1', '5', null) }, { weight: 1, arbitrary: fc.anything({ maxDepth: 0 }) }),
    TOPICS(orgA, orgB), EVENTS).chain(([jr, ref, topic, event]) => (event === 'phx_join' ? joinPayload(orgB, badToken) : fc.anything({ maxDepth: 2 }))
    .map((payload) => frame(vsn, jr, ref, topic, event, payload))) },
  { weight: 6, arbitrary: fc.tuple(TOPICS(orgA, orgB), joinPayload(orgB, badToken)).map(([t, p]) => frame(vsn, '1', '1', t, 'phx_join', p)) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('broadcast', 'presence', 'access_token', 'phx_leave', 'nonsense'), fc.anything({ maxDepth: 2 }))
    .map(([event, payload]) => frame(vsn, '1', '7', 'realtime:fuzz', event, event === 'broadcast' ? { type: 'broadcast', event: 'x', payload } : payload)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '[', '{}', '[]', '[null,null,null,null]', '[1,2,3,4,5,6]', '{"topic":1}', 'null', '"x"', '1e999', '[null,"1","phoenix","heartbeat"]') },
);
/** Binary frames: kinds 0..255, and length bytes that lie about what follows (kind 3 is the client → server broadcast push). */
const binaryFrame = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 }), fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 80 }))
    .map(([lens, enc, rest]) => Buffer.concat([Buffer.from([3, ...lens, enc]), Buffer.from(rest)])) },
  { weight: 2, arbitrary: fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.uint8Array({ maxLength: 80 }))
    .map(([lens, rest]) => Buffer.concat([Buffer.from([0, ...lens]), Buffer.from(rest)])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((x) => Buffer.from(x)) },
  { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from([3]), Buffer.from([3, 255, 255, 255, 255, 255, 1]), Buffer.from([4, 1, 1, 1, 1, 1]), Buffer.from([255])) },
  // A well-formed kind 3 on a topic the socket never joined, and one on org B's private topic.
  { weight: 1, arbitrary: fc.constantFrom('realtime:fuzz', 'realtime:org:B:hotspots').map((topic) => {
    const parts = ['1', '2', topic, 'INSERT', ''].map((s) => Buffer.from(s));
    return Buffer.concat([Buffer.from([3, ...parts.map((p) => p.length), 1]), ...parts, Buffer.from('{"forged":true}')]);
  }) },
);

// ---- the properties ----------------------------------------------------------------------

describe('fuzz: Realtime WebSocket frames', () => {
  it('arbitrary text and binary frames, both serializers: only the offending socket is affected, nothing leaks or is written', async () => {
    const before = [await footprint(sql, a.id), await footprint(sql, b.id)];
    const forged = `${tokenA.split('.').slice(0, 2).join('.')}.AAAA`;

    // A well-behaved subscriber of org A, watching for collateral damage.
    const seenA: Array<Record<string, unknown>> = [];
    const control = sb(tokenA);
    await new Promise<void>((resolve, reject) => {
      control.channel(`control-${a.id}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: 'hotspots', filter: `org_id=eq.${a.id}` }, (p) => seenA.push(p.new as Record<string, unknown>))
        .subscribe((s, err) => { if (s === 'SUBSCRIBED') resolve(); else if (s !== 'CLOSED') reject(err ?? new Error(s)); });
    });

    const leaks: string[] = [];
    let stayedOpen = 0;
    const closeCodes = new Map<number, number>();
    await fc.assert(fc.asyncProperty(
      fc.constantFrom<Vsn>('1.0.0', '2.0.0'), fc.constantFrom('viewerA', 'anon'),          fc.array(fc.oneof({ weight: 10, arbitrary: fc.constantFrom<'text'>('text') }, { weight: 1, arbitrary: fc.constantFrom<'binary'>('binary') }), { minLength: 1, maxLength: 4 }),
      fc.infiniteStream(fc.tuple(textFrame('1.0.0', a.id, b.id, forged), textFrame('2.0.0', a.id, b.id, forged), binaryFrame)),
      async (vsn, who, kinds, pool) => {
        const frames = kinds.map((k) => {
          const [t1, t2, bin] = pool.next().value as [string, string, Buffer];
          return { data: k === 'binary' ? bin : vsn === '2.0.0' ? t2 : t1 };
        });
        const p = await open(vsn, who === 'anon' ? info.anonKey : tokenA);
        // Join a legitimate channel first, so frames can also hit a joined topic.
        p.ws.send(frame(vsn, '1', '1', 'realtime:fuzz', 'phx_join', { config: { postgres_changes: [{ event: '*', schema: 'public', table: 'hotspots' }] }, access_token: tokenA }));
        for (const f of frames) {
          if (p.ws.readyState !== WebSocket.OPEN) break;
          p.ws.send(f.data, { binary: typeof f.data !== 'string' });
        }
        // Org B changes while the probe is connected: whatever the frames did, its row reaches no probe.
        await sql`update public.hotspots set quiet_scans = quiet_scans where id = ${b.hotspotId}`;
        await Promise.race([p.closed, new Promise((r) => setTimeout(r, 150))]);
        if (p.ws.readyState === WebSocket.OPEN) {
          stayedOpen++;
          // Still open: it must still answer a heartbeat (the connection is not wedged).
          const hb = vsn === '2.0.0' ? JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]) : JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 'hb' });
          p.ws.send(hb);
          await waitFor(() => p.received.some((m) => m.includes('"hb"')) || p.ws.readyState !== WebSocket.OPEN, 10_000, 'a heartbeat reply');
          p.ws.terminate();
        } else {
          const { code } = await p.closed;
          closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
          // A server-chosen close is a clean protocol close, never an abnormal drop (1006) or internal error (1011).
          expect([1000, 1007, 1008, 1009], `close code ${code}`).toContain(code);
        }
        for (const m of p.received) if (m.includes(b.secret)) leaks.push(m);
      }), { numRuns: RUNS });

    // Org B changes now, and org A's control client must still be served: org B's row reaches nobody.
    await sql`update public.hotspots set observed = observed + 1 where id = ${b.hotspotId}`;
    await sql`update public.hotspots set observed = observed + 1 where id = ${a.hotspotId}`;
    await waitFor(() => seenA.some((r) => r.id === a.hotspotId), 20_000, 'the control subscriber to receive org A\'s update');
    expect(seenA.every((r) => r.org_id === a.id)).toBe(true);
    expect(leaks).toEqual([]);
    // Only the two deliberate updates above changed anything.
    const after = [await footprint(sql, a.id), await footprint(sql, b.id)];
    expect(after.map((f) => ({ ...f, hotspots: f.hotspots!.split('/')[0] }))).toEqual(before.map((f) => ({ ...f, hotspots: f.hotspots!.split('/')[0] })));
    if (process.env.FUZZ_DEBUG) console.log('close codes', Object.fromEntries(closeCodes), 'stayed open', stayedOpen);
    // The fuzzer must also get past the decoder into joins, broadcasts and presence, not only be closed with 1007.
    expect(stayedOpen).toBeGreaterThan(RUNS / 5);
  });

  it('a joined viewer of org A never receives org B\'s rows, whatever bindings and filters it asks for', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom<Vsn>('1.0.0', '2.0.0'), fc.array(binding(b.id), { minLength: 1, maxLength: 3 }), async (vsn, bindings) => {
      const p = await open(vsn, tokenA);
      p.ws.send(frame(vsn, '1', '1', 'realtime:leak', 'phx_join', { config: { postgres_changes: bindings } }));
      await waitFor(() => p.received.some((m) => m.includes('phx_reply')) || p.ws.readyState !== WebSocket.OPEN, 15_000, 'a join reply');
      await sql`update public.hotspots set quiet_scans = quiet_scans where id = ${b.hotspotId}`;
      await sql`update public.alerts set notify_count = notify_count where id = ${b.alertId}`;
      await new Promise((r) => setTimeout(r, 150));
      p.ws.terminate();
      expect(p.received.filter((m) => m.includes(b.secret))).toEqual([]);
    }), { numRuns: Math.max(10, Math.floor(RUNS / 6)) });
  });

  it('an oversized frame closes only that socket (1009)', async () => {
    const p = await open('2.0.0', info.anonKey);
    p.ws.send(Buffer.alloc(5_000_001, 0x20), { binary: false });
    expect((await p.closed).code).toBe(1009);
  });

  it('the stack still answers a health check, heartbeats on both serializers and a valid subscription afterwards', async () => {
    await assertAlive();
    await realtimeHeartbeat(info.apiUrl, info.anonKey, '1.0.0');
    await realtimeHeartbeat(info.apiUrl, info.anonKey, '2.0.0');
    const got: unknown[] = [];
    const c = sb(tokenA, { vsn: '1.0.0' });
    await new Promise<void>((resolve, reject) => {
      c.channel(`after-${a.id}`).on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'alerts', filter: `org_id=eq.${a.id}` }, (x) => got.push(x))
        .subscribe((s, err) => { if (s === 'SUBSCRIBED') resolve(); else if (s !== 'CLOSED') reject(err ?? new Error(s)); });
    });
    await sql`update public.alerts set notify_count = notify_count + 1 where id = ${a.alertId}`;
    await waitFor(() => got.length > 0, 20_000, 'an alert update after the fuzz');
  });
});
