/**
 * Wire-level checks with a bare WebSocket: exact frames for both protocol versions and
 * every malformed-input case — none of which may crash the server or disturb others.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeUserBroadcastPush } from '../../../stack/src/realtime/serializer.ts';
import { adminSql } from '../../support/db.ts';
import { closeClients, isEvent, rawClient, SCRATCH_SCHEMA, scratchTable, sleep, type RawClient } from './helpers.ts';

const info = inject('stack');
const sql = adminSql();
let table: string;
const open: RawClient[] = [];

async function client(vsn: '1.0.0' | '2.0.0' | null = '2.0.0'): Promise<RawClient> {
  const c = await rawClient(info.apiUrl, info.anonKey, vsn);
  open.push(c);
  return c;
}

async function join(c: RawClient, topic: string, config: Record<string, unknown> = {}, ref = '1'): Promise<unknown[]> {
  c.send([ref, ref, `realtime:${topic}`, 'phx_join', { config: { broadcast: { ack: true, self: false }, presence: { key: '', enabled: false }, postgres_changes: [], private: false, ...config } }]);
  return (await c.next(isEvent(`realtime:${topic}`, 'phx_reply', ref))).data as unknown[];
}

/** A second, well-behaved client that must keep working while the first misbehaves. */
async function bystander(topic: string): Promise<{ check(): Promise<void> }> {
  const listener = await client();
  const sender = await client();
  await join(listener, topic);
  await join(sender, topic);
  let n = 0;
  return {
    async check() {
      n++;
      sender.send(['1', `b${n}`, `realtime:${topic}`, 'broadcast', { type: 'broadcast', event: 'ping', payload: { n } }]);
      await listener.next((f) => isEvent(`realtime:${topic}`, 'broadcast')(f) && ((f.data as unknown[])[4] as { payload: { n: number } }).payload.n === n);
    },
  };
}

beforeAll(async () => {
  table = await scratchTable(sql, 'wire', 'id bigint primary key, qty int, tags text[], meta jsonb, at timestamp');
});
afterAll(async () => {
  for (const c of open) c.close();
  await closeClients();
  await sql.end();
});

describe('frames (vsn 2.0.0 arrays)', () => {
  it('heartbeat, join reply with ids, system message, postgres_changes with null refs', async () => {
    const c = await client();
    c.send([null, '9', 'phoenix', 'heartbeat', {}]);
    expect((await c.next(isEvent('phoenix', 'phx_reply', '9'))).data).toEqual([null, '9', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);

    const binding = { event: 'INSERT', schema: SCRATCH_SCHEMA, table, filter: 'qty=gt.1' };
    const reply = await join(c, 'wire', { postgres_changes: [binding, { event: '*', schema: SCRATCH_SCHEMA, table }] }, '3');
    const response = (reply[4] as { response: { postgres_changes: Array<Record<string, unknown>> } }).response;
    expect(reply.slice(0, 4)).toEqual(['3', '3', 'realtime:wire', 'phx_reply']);
    expect((reply[4] as { status: string }).status).toBe('ok');
    expect(response.postgres_changes).toEqual([{ ...binding, id: expect.any(Number) }, { event: '*', schema: SCRATCH_SCHEMA, table, id: expect.any(Number) }]);
    const [id1, id2] = response.postgres_changes.map((b) => b.id as number);
    expect(id1).not.toBe(id2);
    expect((await c.next(isEvent('realtime:wire', 'system'))).data).toEqual(['3', null, 'realtime:wire', 'system',
      { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'wire' }]);

    await sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${table} values (1, 5, '{a,NULL,"b c"}', '{"k":[true,null]}', '2026-03-04 05:06:07.5')`);
    await sql.unsafe(`insert into ${SCRATCH_SCHEMA}.${table} values (2, 1, null, null, null)`);
    const f1 = (await c.next(isEvent('realtime:wire', 'postgres_changes'))).data as unknown[];
    expect(f1.slice(0, 4)).toEqual([null, null, 'realtime:wire', 'postgres_changes']);
    expect(f1[4]).toEqual({
      ids: [id1, id2],
      data: {
        schema: SCRATCH_SCHEMA, table, type: 'INSERT', commit_timestamp: expect.stringMatching(/Z$/), errors: null,
        columns: [{ name: 'id', type: 'int8' }, { name: 'qty', type: 'int4' }, { name: 'tags', type: '_text' }, { name: 'meta', type: 'jsonb' }, { name: 'at', type: 'timestamp' }],
        record: { id: 1, qty: 5, tags: ['a', null, 'b c'], meta: { k: [true, null] }, at: '2026-03-04T05:06:07.5' },
      },
    });
    const f2 = (await c.next(isEvent('realtime:wire', 'postgres_changes'))).data as unknown[];
    expect((f2[4] as { ids: number[] }).ids).toEqual([id2]); // only the bindings that match
  });

  it('phx_leave: ok reply, then phx_close with the join ref; a duplicate join closes the old one', async () => {
    const c = await client();
    await join(c, 'leave-me', {}, '4');
    c.send(['4', '5', 'realtime:leave-me', 'phx_leave', {}]);
    expect((await c.next(isEvent('realtime:leave-me', 'phx_reply', '5'))).data).toEqual(['4', '5', 'realtime:leave-me', 'phx_reply', { status: 'ok', response: {} }]);
    expect((await c.next(isEvent('realtime:leave-me', 'phx_close'))).data).toEqual(['4', '4', 'realtime:leave-me', 'phx_close', {}]);

    await join(c, 'dup', {}, '6');
    await join(c, 'dup', {}, '7');
    const dup = c.frames.map((f) => f.data as unknown[]).filter((d) => d[2] === 'realtime:dup').map((d) => [d[0], d[1], d[3]]);
    expect(dup).toEqual([['6', '6', 'phx_reply'], ['6', '6', 'phx_close'], ['7', '7', 'phx_reply']]);
  });

  it('kind-3 broadcast push in, kind-4 broadcast out; vsn 1 peers get JSON', async () => {
    const a = await client(), b = await client(), v1 = await client('1.0.0');
    await join(a, 'bin', {}, '1');
    await join(b, 'bin', {}, '1');
    v1.send({ topic: 'realtime:bin', event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' });
    await v1.next((f) => (f.data as { event?: string }).event === 'phx_reply');
    a.send(encodeUserBroadcastPush('1', '2', 'realtime:bin', 'evt', Buffer.from('{"x":1}'), 1));
    expect((await a.next(isEvent('realtime:bin', 'phx_reply', '2'))).data).toEqual(['1', '2', 'realtime:bin', 'phx_reply', { status: 'ok', response: {} }]);
    const frame = await b.next((f) => f.binary);
    expect([...frame.raw.subarray(0, 5)]).toEqual([4, 'realtime:bin'.length, 3, 0, 1]);
    expect(frame.raw.subarray(5).toString()).toBe('realtime:binevt{"x":1}');
    const j = await v1.next((f) => (f.data as { event?: string }).event === 'broadcast');
    expect(j.data).toEqual({ topic: 'realtime:bin', event: 'broadcast', payload: { type: 'broadcast', event: 'evt', payload: { x: 1 } }, ref: null });
  });
});

describe('frames (vsn 1.0.0 objects)', () => {
  it('join reply, system message and changes as objects without join_ref; a missing vsn means 1.0.0', async () => {
    for (const vsn of ['1.0.0', null] as const) {
      const c = await client(vsn);
      c.send({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref: '2' });
      expect((await c.next((f) => (f.data as { ref?: string }).ref === '2')).data).toEqual({ topic: 'phoenix', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '2' });
      c.send({ topic: 'realtime:v1', event: 'phx_join', payload: { config: { postgres_changes: [{ event: 'INSERT', schema: SCRATCH_SCHEMA, table }] } }, ref: '3', join_ref: '3' });
      const reply = (await c.next((f) => (f.data as { ref?: string }).ref === '3')).data as Record<string, unknown>;
      expect(reply).toMatchObject({ topic: 'realtime:v1', event: 'phx_reply', ref: '3', payload: { status: 'ok' } });
      expect(Object.keys(reply).sort()).toEqual(['event', 'payload', 'ref', 'topic']);
      expect((await c.next((f) => (f.data as { event?: string }).event === 'system')).data).toEqual({
        topic: 'realtime:v1', event: 'system', ref: null, payload: { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'v1' },
      });
      c.close();
    }
  });
});

describe('malformed and hostile input', () => {
  it('invalid JSON, wrong shapes and unknown binary kinds close only that socket with 1007', async () => {
    const others = await bystander('bystander-1');
    const cases: Array<[string | null, unknown]> = [
      ['2.0.0', '{not json'], ['2.0.0', '{"topic":"x"}'], ['2.0.0', '[1,2,3]'], ['2.0.0', '[null,null,5,"e",{}]'],
      ['1.0.0', '[1,2,3,4,5]'], ['1.0.0', '{"event":"x"}'], ['2.0.0', Buffer.from([9, 1, 2])], ['2.0.0', Buffer.from([3, 200, 0, 0, 0, 0, 1])],
      ['2.0.0', Buffer.from([3, 0, 0, 0, 0, 0, 7])], ['1.0.0', Buffer.from([4, 0])],
    ];
    for (const [vsn, frame] of cases) {
      const c = await client(vsn as '1.0.0' | '2.0.0');
      c.send(frame);
      const closed = await c.closed;
      expect(closed.code, `frame ${String(frame)}`).toBe(1007);
      expect(closed.reason).toMatch(/^MalformedFrame: /);
    }
    await others.check();
  });

  it('unknown topics get "unmatched topic"; unknown events are ignored; the channel keeps working', async () => {
    const c = await client();
    c.send(['1', '2', 'realtime:never-joined', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }]);
    expect((await c.next(isEvent('realtime:never-joined', 'phx_reply', '2'))).data).toEqual(['1', '2', 'realtime:never-joined', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }]);
    c.send(['3', '3', 'not-realtime:topic', 'phx_join', {}]);
    expect(((await c.next(isEvent('not-realtime:topic', 'phx_reply', '3'))).data as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'unmatched topic' } });
    await join(c, 'keeps-working', { broadcast: { ack: true, self: true } }, '4');
    c.send(['4', '5', 'realtime:keeps-working', 'no_such_event', { what: 'ever' }]);
    c.send(['4', '6', 'realtime:keeps-working', 'broadcast', { type: 'broadcast', event: 'still', payload: {} }]);
    const next = await c.next((f) => isEvent('realtime:keeps-working', 'phx_reply')(f) || isEvent('realtime:keeps-working', 'broadcast')(f));
    expect((next.data as unknown[])[1]).toBe(null); // the self-broadcast, not a reply to the unknown event
    expect(c.frames.some((f) => (f.data as unknown[])[1] === '5')).toBe(false);
  });

  it('odd join payloads are taken with defaults, as Realtime does', async () => {
    const c = await client();
    c.send(['1', '1', 'realtime:odd', 'phx_join', 'not an object']);
    expect(((await c.next(isEvent('realtime:odd', 'phx_reply', '1'))).data as unknown[])[4]).toEqual({ status: 'ok', response: { postgres_changes: [] } });
    c.send(['2', '2', 'realtime:odd2', 'phx_join', { config: { postgres_changes: [null, 42, { schema: 7 }] } }]);
    const reply = (await c.next(isEvent('realtime:odd2', 'phx_reply', '2'))).data as unknown[];
    expect((reply[4] as { status: string }).status).toBe('ok');
    const sys = (await c.next(isEvent('realtime:odd2', 'system'))).data as unknown[];
    expect(sys[4]).toMatchObject({ extension: 'postgres_changes', status: 'error', message: expect.stringMatching(/^No subscription params provided/) });
  });

  it('a join on the bare "realtime:" topic is refused: TopicNameRequired', async () => {
    const c = await client();
    c.send(['1', '1', 'realtime:', 'phx_join', { config: {} }]);
    expect(((await c.next(isEvent('realtime:', 'phx_reply', '1'), 15_000)).data as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'TopicNameRequired: You must provide a topic name' } });
  });

  it('a frame over the 5,000,000-byte limit closes the socket with 1009; others are unaffected', async () => {
    const others = await bystander('bystander-2');
    const c = await client();
    c.send(['1', '1', 'realtime:big', 'broadcast', { payload: 'x'.repeat(5_000_001) }]);
    expect((await c.closed).code).toBe(1009);
    await others.check();
  });

  it('a broadcast payload over the 3,000 KB limit is refused (ack) and not delivered', async () => {
    const a = await client(), b = await client();
    await join(a, 'big-bc', {}, '1');
    await join(b, 'big-bc', {}, '1');
    a.send(encodeUserBroadcastPush('1', '2', 'realtime:big-bc', 'huge', Buffer.from(JSON.stringify({ s: 'y'.repeat(3_100_000) })), 1));
    const r = (await a.next(isEvent('realtime:big-bc', 'phx_reply', '2'))).data as unknown[];
    expect(r[4]).toEqual({ status: 'error', response: { reason: expect.stringMatching(/^PayloadTooLarge: /) } });
    a.send(encodeUserBroadcastPush('1', '3', 'realtime:big-bc', 'bad', Buffer.from('{oops'), 1));
    expect(((await a.next(isEvent('realtime:big-bc', 'phx_reply', '3'))).data as unknown[])[4]).toMatchObject({ status: 'error' });
    await sleep(300);
    expect(b.frames.filter((f) => f.binary)).toEqual([]);
  });

  it('more than 100 channels on one connection: ChannelRateLimitReached', async () => {
    const c = await client();
    for (let i = 0; i < 100; i++) c.send([`j${i}`, `j${i}`, `realtime:many-${i}`, 'phx_join', { config: {} }]);
    await c.next(isEvent('realtime:many-99', 'phx_reply'));
    c.send(['j100', 'j100', 'realtime:many-100', 'phx_join', { config: {} }]);
    expect(((await c.next(isEvent('realtime:many-100', 'phx_reply'), 15_000)).data as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'ChannelRateLimitReached: Too many channels' } });
  });

  it('a bad apikey or vsn is refused at the upgrade', async () => {
    await expect(rawClient(info.apiUrl, 'not-a-jwt')).rejects.toThrow('HTTP 401');
    await expect(rawClient(info.apiUrl, info.anonKey, '3.0.0' as never)).rejects.toThrow('HTTP 400');
  });

  it('random frames (fuzz) never take the server down', async () => {
    const others = await bystander('bystander-3');
    const frames = fc.sample(fc.oneof(
      fc.json(),
      fc.tuple(fc.option(fc.string()), fc.option(fc.string()), fc.constantFrom('realtime:fuzz', 'phoenix', 'realtime:', 'x'),
        fc.constantFrom('phx_join', 'phx_leave', 'broadcast', 'presence', 'access_token', 'heartbeat', 'zzz'), fc.jsonValue()).map((t) => JSON.stringify(t)),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    ), { numRuns: 300, seed: 42 });
    let c = await client();
    for (const f of frames) {
      if (c.ws.readyState !== c.ws.OPEN) c = await client();
      c.send(f);
      await sleep(2);
    }
    await sleep(500);
    await others.check();
    const res = await fetch(`${info.apiUrl}/realtime/v1/api/ping`);
    expect(res.status).toBe(200);
  });
});
