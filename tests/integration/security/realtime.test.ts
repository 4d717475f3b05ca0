/**
 * Security review, Realtime (/realtime/v1 through the gateway, supabase-js signed in as
 * each role): postgres_changes on the three streams, private channels fed by Broadcast
 * from Database, and what clients can send. docs/security.md cites these tests by name.
 */
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { closeClients, sleep, stackInfo, waitFor } from '../../support/hardening.ts';
import { anonClient, createTenant, MEMBER_ROLES, serviceClient, type Tenant } from './support.ts';

const info = stackInfo();
const sql = adminSql(4);
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await createTenant(sql, 'sec-rt-a');
  b = await createTenant(sql, 'sec-rt-b');
});
// supabase-js hands back the existing channel for a topic it already has: leave none behind.
afterEach(async () => {
  for (const t of [a, b]) for (const m of Object.values(t.members)) await m.client.removeAllChannels();
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

const STREAMS = ['hotspots', 'alerts', 'recommendations'] as const;
type Got = Array<{ table: string; org: string; via: string }>;

/** Subscribe and resolve with the final join status (join errors arrive after Realtime's 5 s back-off). */
function joined(ch: RealtimeChannel): Promise<string> {
  return new Promise((resolve) => {
    let done = false;
    ch.subscribe((status, err) => {
      if (done) return;
      if (status === 'SUBSCRIBED' || status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') {
        done = true;
        resolve(status === 'SUBSCRIBED' ? status : `${status}${err ? `: ${err.message}` : ''}`);
      }
    });
  });
}

function changes(client: SupabaseClient, name: string, got: Got): RealtimeChannel {
  let ch = client.channel(name);
  for (const t of STREAMS) {
    ch = ch.on('postgres_changes', { event: '*', schema: 'public', table: t }, (p) => {
      got.push({ table: t, org: String((p.new as { org_id?: string }).org_id ?? (p.old as { org_id?: string }).org_id), via: 'postgres_changes' });
    });
  }
  return ch;
}

async function touchStreams(orgs: Tenant[]): Promise<void> {
  for (const o of orgs) {
    await sql`update public.hotspots set quiet_scans = quiet_scans where id = ${o.hotspotId}`;
    await sql`update public.alerts set notify_count = notify_count where id = ${o.alertId}`;
    await sql`update public.recommendations set score = score where id = ${o.recommendationId}`;
  }
}

const orgsOf = (got: Got): string[] => [...new Set(got.map((g) => g.org))].sort();

describe('security: Realtime postgres_changes', () => {
  it('each member of org A receives org A\'s stream changes only; anon receives none; the service role receives all', async () => {
    const subs: Array<{ who: string; got: Got; ch: RealtimeChannel }> = [];
    for (const role of MEMBER_ROLES) subs.push({ who: role, got: [], ch: undefined as unknown as RealtimeChannel });
    subs.push({ who: 'anon', got: [], ch: undefined as unknown as RealtimeChannel }, { who: 'service', got: [], ch: undefined as unknown as RealtimeChannel });
    for (const s of subs) {
      const client = s.who === 'anon' ? anonClient() : s.who === 'service' ? serviceClient() : a.members[s.who as 'viewer'].client;
      s.ch = changes(client, `sec-pc-${s.who}-${a.id}`, s.got);
    }
    const statuses = await Promise.all(subs.map((s) => joined(s.ch)));
    expect(statuses).toEqual(subs.map(() => 'SUBSCRIBED'));
    await sleep(300);
    await touchStreams([b, a]);
    const service = subs.find((s) => s.who === 'service')!;
    await waitFor(() => service.got.filter((g) => g.org === a.id || g.org === b.id).length >= 6, 20_000, 'the service role to see both orgs\' changes');
    for (const role of MEMBER_ROLES) await waitFor(() => subs.find((s) => s.who === role)!.got.length >= 3, 20_000, `${role} to see org A's changes`);
    await sleep(500);
    for (const s of subs) {
      // The service role sees every org's changes, also those of test files running beside this one.
      const got = s.who === 'service' ? orgsOf(s.got).filter((o) => o === a.id || o === b.id) : orgsOf(s.got);
      const expected = s.who === 'anon' ? [] : s.who === 'service' ? [a.id, b.id].sort() : [a.id];
      expect(got, s.who).toEqual(expected);
      if (s.who !== 'anon') expect(new Set(s.got.map((g) => g.table)), s.who).toEqual(new Set(STREAMS));
    }
  });

  it('a filter naming org B gives a member of A nothing', async () => {
    const got: Got = [];
    const ch = a.members.admin.client.channel(`sec-pc-filter-${b.id}`)
      .on('postgres_changes', { event: '*', schema: 'public', table: 'hotspots', filter: `org_id=eq.${b.id}` }, (p) => got.push({ table: 'hotspots', org: String((p.new as { org_id: string }).org_id), via: 'pc' }));
    expect(await joined(ch)).toBe('SUBSCRIBED');
    await sleep(300);
    await touchStreams([b]);
    await sleep(1500);
    expect(got).toEqual([]);
  });
});

describe('security: Realtime private channels (Broadcast from Database)', () => {
  it('members of org A join org:<A>:<stream> and receive its broadcasts; org B\'s topics, anon and non-private joins do not receive them', async () => {
    const ok: Array<{ who: string; got: Got }> = [];
    const joins: Array<Promise<[string, string]>> = [];
    const listen = (client: SupabaseClient, who: string, topic: string, isPrivate: boolean, got: Got): void => {
      const ch = client.channel(topic, { config: { private: isPrivate } })
        .on('broadcast', { event: '*' }, (m) => {
          const rec = (m.payload as { record?: { org_id?: string } }).record;
          got.push({ table: topic, org: String(rec?.org_id), via: 'broadcast' });
        });
      joins.push(joined(ch).then((s) => [`${who} ${topic} private=${isPrivate}`, s]));
    };
    for (const role of MEMBER_ROLES) {
      const got: Got = [];
      ok.push({ who: role, got });
      for (const t of STREAMS) listen(a.members[role].client, role, `org:${a.id}:${t}`, true, got);
    }
    const intruders: Got = [];
    for (const t of STREAMS) {
      listen(a.members.admin.client, 'adminA', `org:${b.id}:${t}`, true, intruders);
      listen(anonClient(), 'anon', `org:${a.id}:${t}`, true, intruders);
      listen(a.members.viewer.client, 'viewerA-public', `org:${b.id}:${t}`, false, intruders);
      listen(anonClient(), 'anon-public', `org:${a.id}:${t}`, false, intruders);
    }
    const results = Object.fromEntries(await Promise.all(joins));
    for (const [k, v] of Object.entries(results)) {
      const shouldJoin = /^(viewer|operator|admin) /.test(k) || /-public /.test(k);
      if (shouldJoin) expect(v, k).toBe('SUBSCRIBED');
      else expect(v, k).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
    }
    await sleep(300);
    await touchStreams([a, b]);
    for (const m of ok) await waitFor(() => m.got.length >= 3, 20_000, `${m.who} to receive org A's broadcasts`);
    await sleep(1000);
    for (const m of ok) expect(orgsOf(m.got), m.who).toEqual([a.id]);
    // Public channels with the same names, org B's topics and anon receive nothing.
    expect(intruders).toEqual([]);
  });

  it('no member can forge a stream broadcast: client sends and REST broadcasts to a private stream topic reach nobody', async () => {
    const topic = `org:${a.id}:recommendations`;
    const got: unknown[] = [];
    const listener = a.members.viewer.client.channel(topic, { config: { private: true } }).on('broadcast', { event: '*' }, (m) => got.push(m));
    expect(await joined(listener)).toBe('SUBSCRIBED');
    const sender = a.members.admin.client.channel(topic, { config: { private: true, broadcast: { self: true, ack: true } } });
    expect(await joined(sender)).toBe('SUBSCRIBED');
    const sent = await sender.send({ type: 'broadcast', event: 'UPDATE', payload: { record: { id: a.recommendationId, org_id: a.id, status: 'approved', version: 999 } } });
    expect(sent).not.toBe('ok');
    for (const key of [a.members.admin.token, info.anonKey]) {
      const res = await fetch(`${info.apiUrl}/realtime/v1/api/broadcast`, {
        method: 'POST', headers: { apikey: info.anonKey, authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ topic, event: 'UPDATE', private: true, payload: { record: { id: a.recommendationId, status: 'approved', version: 999 } } }] }),
      });
      expect(res.status).toBe(202);
      await res.text();
    }
    await sleep(1500);
    expect(got).toEqual([]);
    // The service role (the platform's back end) may broadcast to the topic: it bypasses RLS.
    const res = await fetch(`${info.apiUrl}/realtime/v1/api/broadcast`, {
      method: 'POST', headers: { apikey: info.serviceRoleKey, authorization: `Bearer ${info.serviceRoleKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic, event: 'service-note', private: true, payload: { note: 1 } }] }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => got.length === 1, 10_000, 'the service role broadcast');
  });

  it('presence on a private stream topic cannot be tracked by members (no write policy)', async () => {
    const ch = a.members.operator.client.channel(`org:${a.id}:alerts`, { config: { private: true, presence: { key: 'op' } } });
    expect(await joined(ch)).toBe('SUBSCRIBED');
    const r = await ch.track({ online: true });
    expect(r).not.toBe('ok');
  });
});
