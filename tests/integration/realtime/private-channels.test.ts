import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { as, closeClients, collector, insertHotspot, memberClaims, mintToken, rtClient, sleep, statusLog, subscribed, VSNS } from './helpers.ts';

interface Bcast { type: string; event: string; payload: Record<string, unknown>; meta?: Record<string, unknown> }

const info = inject('stack');
const sql = adminSql();
let orgA: TestOrg;
let orgB: TestOrg;

beforeAll(async () => {
  orgA = await createTestOrg(sql, 'rtp-a');
  orgB = await createTestOrg(sql, 'rtp-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

describe('private channels (RLS on realtime.messages)', () => {
  it('a join is refused without a policy allowing the topic, with Realtime\'s reason', async () => {
    const token = await mintToken(info.jwtSecret, memberClaims([orgA.id]));
    const topic = `org:${orgB.id}:hotspots`;
    const log = statusLog(rtClient(info.apiUrl, info.anonKey, { token }).channel(topic, { config: { private: true } }));
    await log.wait('CHANNEL_ERROR', 15_000);
    expect(log.statuses[0]).toEqual({ status: 'CHANNEL_ERROR', err: `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}` });
  });

  it('anon cannot join a private org topic', async () => {
    const log = statusLog(rtClient(info.apiUrl, info.anonKey).channel(`org:${orgA.id}:alerts`, { config: { private: true } }));
    await log.wait('CHANNEL_ERROR', 15_000);
    expect(log.statuses[0]!.err).toMatch(/^Unauthorized: /);
  });

  it.each(VSNS)('broadcast_changes from the stream trigger reaches only authorized subscribers (vsn %s)', async (vsn) => {
    const tokenA = await mintToken(info.jwtSecret, memberClaims([orgA.id]));
    const tokenB = await mintToken(info.jwtSecret, memberClaims([orgB.id]));
    const a = collector<Bcast>(), b = collector<Bcast>(), pub = collector<Bcast>();
    await Promise.all([
      subscribed(rtClient(info.apiUrl, info.anonKey, { vsn, token: tokenA }).channel(`org:${orgA.id}:hotspots`, { config: { private: true } })
        .on('broadcast', { event: 'INSERT' }, as(a.push))),
      subscribed(rtClient(info.apiUrl, info.anonKey, { vsn, token: tokenB }).channel(`org:${orgB.id}:hotspots`, { config: { private: true } })
        .on('broadcast', { event: '*' }, as(b.push))),
      // The same name as a public channel is a different topic: private messages never reach it.
      subscribed(rtClient(info.apiUrl, info.anonKey, { vsn }).channel(`org:${orgA.id}:hotspots`).on('broadcast', { event: '*' }, as(pub.push))),
    ]);
    const id = await insertHotspot(sql, orgA.id, `bc-${vsn}`);
    const [msg] = await a.wait(1);
    await sleep(400);
    expect(msg).toMatchObject({ type: 'broadcast', event: 'INSERT', meta: { id: expect.any(String) } });
    expect(msg!.payload).toMatchObject({ operation: 'INSERT', schema: 'public', table: 'hotspots', old_record: null, id: msg!.meta!.id });
    expect((msg!.payload.record as Record<string, unknown>)).toMatchObject({ id, org_id: orgA.id, dedup_key: `bc-${vsn}` });
    expect(b.items).toEqual([]);
    expect(pub.items).toEqual([]);
  });

  it('realtime.send() to a public topic reaches public subscribers; private sends need a private channel', async () => {
    const pub = collector<Bcast>();
    await subscribed(rtClient(info.apiUrl, info.anonKey).channel('rt-send-public').on('broadcast', { event: 'hello' }, as(pub.push)));
    await sql`select realtime.send('{"n":1}'::jsonb, 'hello', 'rt-send-public', false)`;
    await sql`select realtime.send('{"n":2}'::jsonb, 'hello', 'rt-send-public', true)`;
    const [m] = await pub.wait(1);
    await sleep(300);
    expect(pub.items).toHaveLength(1);
    expect(m).toMatchObject({ event: 'hello', payload: { n: 1, id: expect.any(String) }, meta: { id: m!.payload.id } });
  });

  it('replays recent database messages to a private channel that asks for them', async () => {
    const tokenA = await mintToken(info.jwtSecret, memberClaims([orgA.id]));
    const since = Date.now() - 1000;
    await insertHotspot(sql, orgA.id, 'replay-1');
    await insertHotspot(sql, orgA.id, 'replay-2');
    await sleep(200);
    const got = collector<Bcast>();
    await subscribed(rtClient(info.apiUrl, info.anonKey, { token: tokenA })
      .channel(`org:${orgA.id}:hotspots`, { config: { private: true, broadcast: { replay: { since, limit: 10 } } } })
      .on('broadcast', { event: '*' }, as(got.push)));
    await got.wait(2);
    const replayed = got.items.filter((m) => m.meta?.replayed === true).map((m) => (m.payload.record as Record<string, unknown>).dedup_key);
    expect(replayed).toEqual(expect.arrayContaining(['replay-1', 'replay-2']));
  });

  it('a public channel cannot ask for replay (realtime-js refuses it before the server would)', () => {
    const c = rtClient(info.apiUrl, info.anonKey);
    expect(() => c.channel('no-replay', { config: { broadcast: { replay: { since: 0 } } } } as never)).toThrow(/private channel/);
  });
});
