/**
 * Feed keys end to end on the embedded stack: an admin creates a key through the
 * feed-keys function (real Deno, supabase-js `functions.invoke`), it is shown once and
 * only its SHA-256 is stored where no API role reaches it; a feed POSTs to ingest-feed
 * with plain fetch and no JWT (the gateway honours `verify_jwt = false` for it alone)
 * and gets exactly what ingest-events answers, into the key's org only. Revoked,
 * unknown, wrong and malformed keys get 401; another org's id 403; the per-key rate
 * limit 429 with Retry-After; every change is in audit_log.
 */
import { createClient, FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createIngestFeedHandler } from '../../../functions/ingest-feed/handler.ts';
import { adminSql } from '../../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { call, jsonRequest } from '../../support/functions.ts';

const info = inject('stack');
const sql = adminSql(4);
const FEED_URL = `${info.apiUrl}/functions/v1/ingest-feed`;
let a: TestOrg;
let b: TestOrg;
let adminA: SupabaseClient;
let adminB: SupabaseClient;
let operatorA: SupabaseClient;
let viewerA: SupabaseClient;

const client = (key: string): SupabaseClient =>
  createClient(info.apiUrl, key, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });

async function signedIn(email: string): Promise<SupabaseClient> {
  const c = client(info.anonKey);
  const { error } = await c.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error) throw error;
  return c;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-side JSON bodies
async function invoke(c: SupabaseClient, name: string, body: unknown): Promise<{ status: number; body: any }> {
  const { data, error, response } = await c.functions.invoke(name, { body: body as Record<string, unknown> });
  if (!error) return { status: response?.status ?? 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    return { status: res.status, body: await res.json().catch(() => null) };
  }
  throw error;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test-side JSON bodies
async function feed(key: string | null, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(FEED_URL, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

async function createKey(c: SupabaseClient, orgId: string, name: string, extra: Record<string, unknown> = {}): Promise<{ key: string; id: string; prefix: string }> {
  const r = await invoke(c, 'feed-keys', { action: 'create', org_id: orgId, name, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { key: r.body.key, id: r.body.feed_key.id, prefix: r.body.feed_key.key_prefix };
}

const events = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({
  source: 'cad', external_id: `${tag}-${i}`, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(), lat: 51.92 + i * 0.001, lng: 4.48,
}));
const stored = async (orgId: string, prefix: string): Promise<number> =>
  (await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${orgId} and external_id like ${prefix + '%'}`)[0]!.n;

beforeAll(async () => {
  a = await createTestOrg(sql, 'feed-a');
  b = await createTestOrg(sql, 'feed-b');
  const [adA, adB] = [await addMember(sql, a.id, 'admin'), await addMember(sql, b.id, 'admin')];
  [adminA, adminB, operatorA, viewerA] = await Promise.all([signedIn(adA.email), signedIn(adB.email), signedIn(a.operator.email), signedIn(a.viewer.email)]);
});
afterAll(() => sql.end());

describe.skipIf(!info.embedded)('feed keys', () => {
  it('an admin creates a key: shown once, stored as its SHA-256 only, the hash unreachable over REST', async () => {
    const { key, id, prefix } = await createKey(adminA, a.id, 'CAD feed');
    expect(key).toMatch(/^hwfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);

    const [secret] = await sql<{ key_hash: Buffer }[]>`select key_hash from public.feed_key_secrets where key_id = ${id}`;
    expect(Buffer.from(secret!.key_hash).equals(createHash('sha256').update(key).digest())).toBe(true);
    // The key itself is nowhere in the database.
    const [found] = await sql<{ n: number }[]>`
      select (select count(*) from public.feed_keys k where k::text like ${'%' + key + '%'})
           + (select count(*) from public.audit_log l where l::text like ${'%' + key.slice(18) + '%'}) as n`;
    expect(Number(found!.n)).toBe(0);

    // The admin lists the metadata over REST; no key, no hash.
    const listed = await adminA.from('feed_keys').select().eq('id', id);
    expect(listed.error).toBeNull();
    expect(listed.data).toHaveLength(1);
    expect(Object.keys(listed.data![0]).sort()).toEqual(['created_at', 'created_by', 'id', 'key_prefix', 'last_used_at', 'name', 'org_id', 'rate_limit_per_minute', 'revoked_at', 'revoked_by']);
    // The hash and the buckets: no API role reads them, not even the service role.
    const service = client(info.serviceRoleKey);
    for (const c of [adminA, service]) {
      for (const t of ['feed_key_secrets', 'feed_key_buckets']) {
        const r = await c.from(t).select();
        expect(r.error?.code, t).toBe('42501');
        expect(r.data).toBeNull();
      }
    }
    // Operators, viewers and other orgs' admins see no keys.
    for (const c of [operatorA, viewerA, adminB]) {
      const r = await c.from('feed_keys').select().eq('org_id', a.id);
      expect(r.error).toBeNull();
      expect(r.data).toEqual([]);
    }
    // Nobody writes the table over REST.
    const write = await adminA.from('feed_keys').update({ name: 'x' }).eq('id', id);
    expect(write.error?.code).toBe('42501');
  });

  it('only the org\'s admins manage keys: operator and viewer 403, another org 404, anon 401; field errors', async () => {
    for (const c of [operatorA, viewerA]) {
      const r = await invoke(c, 'feed-keys', { action: 'create', org_id: a.id, name: 'nope' });
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
    }
    const other = await invoke(adminB, 'feed-keys', { action: 'create', org_id: a.id, name: 'nope' });
    expect(other.status).toBe(404);
    const anon = client(info.anonKey);
    expect((await invoke(anon, 'feed-keys', { action: 'create', org_id: a.id, name: 'nope' })).status).toBe(401);

    const bad = await invoke(adminA, 'feed-keys', { action: 'create', org_id: a.id, name: '  ', rate_limit_per_minute: 0, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors.map((e: { path: string }) => e.path).sort()).toEqual(['extra', 'name', 'rate_limit_per_minute']);

    await createKey(adminA, a.id, 'Twice');
    const dup = await invoke(adminA, 'feed-keys', { action: 'create', org_id: a.id, name: 'Twice' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.errors[0].path).toBe('name');

    const { id } = await createKey(adminA, a.id, 'Revoke me not');
    for (const c of [operatorA, viewerA]) expect((await invoke(c, 'feed-keys', { action: 'revoke', id })).status).toBe(403);
    expect((await invoke(adminB, 'feed-keys', { action: 'revoke', id })).status).toBe(404);
    expect((await invoke(adminA, 'feed-keys', { action: 'revoke', id: randomUUID() })).status).toBe(404);
    const [row] = await sql`select revoked_at from public.feed_keys where id = ${id}`;
    expect(row!.revoked_at).toBeNull();
    const none = await sql`select 1 from public.feed_keys where org_id = ${a.id} and name = 'nope'`;
    expect(none).toHaveLength(0);
  });

  it('a key ingests into its org only, without a JWT; another org\'s id is refused with 403', async () => {
    const { key, id } = await createKey(adminA, a.id, 'Scoped');
    const tag = `scoped-${randomUUID().slice(0, 8)}`;
    const ok = await feed(key, { events: events(tag, 3) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ org_id: a.id, received: 3, accepted: 3, duplicate: 0, rejected: 0, outside_area: 0 });
    expect(await stored(a.id, tag)).toBe(3);

    const explicit = await feed(key, { org_id: a.id, events: events(tag, 4) });
    expect(explicit.status).toBe(200);
    expect(explicit.body).toMatchObject({ accepted: 1, duplicate: 3 });

    const tagB = `other-${randomUUID().slice(0, 8)}`;
    const other = await feed(key, { org_id: b.id, events: events(tagB, 2) });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
    expect(await stored(b.id, tagB)).toBe(0);
    expect(await stored(a.id, tagB)).toBe(0);

    const [used] = await sql<{ last_used_at: Date | null }[]>`select last_used_at from public.feed_keys where id = ${id}`;
    expect(used!.last_used_at).toBeInstanceOf(Date);
  });

  it('answers exactly as ingest-events: same counts, per-item errors, demo_not_allowed', async () => {
    const { key } = await createKey(adminA, a.id, 'Same answers');
    const c = await createTestOrg(sql, 'feed-same');
    const serviceClient = client(info.serviceRoleKey);
    const tag = `same-${randomUUID().slice(0, 8)}`;
    const batch = [...events(tag, 2), { ...events(tag, 3)[2], lat: 123 }, { source: 'cad' }, { ...events(tag, 1)[0] }];
    const viaFeed = await feed(key, { events: batch });
    const viaIngest = await invoke(serviceClient, 'ingest-events', { org_id: c.id, events: batch });
    expect(viaFeed.status).toBe(200);
    expect(viaIngest.status).toBe(200);
    expect({ ...viaFeed.body, org_id: null }).toEqual({ ...viaIngest.body, org_id: null });
    expect(viaFeed.body).toMatchObject({ received: 5, accepted: 2, duplicate: 1, rejected: 2 });

    const atomic = await feed(key, { events: batch, atomic: true });
    const atomicIngest = await invoke(serviceClient, 'ingest-events', { org_id: c.id, events: batch, atomic: true });
    expect(atomic.status).toBe(400);
    expect(atomic.body).toEqual(atomicIngest.body);

    const badBody = await feed(key, { events: 'no' });
    expect(badBody.status).toBe(400);
    expect(badBody.body).toEqual((await invoke(serviceClient, 'ingest-events', { org_id: c.id, events: 'no' })).body);

    const demo = await feed(key, { events: [{ ...events(tag, 1)[0], source: 'hotwatch-demo' }] });
    expect(demo.status).toBe(422);
    expect(demo.body.error.code).toBe('demo_not_allowed');
  });

  it('the same limits: more events than the limit → 413 (in-process, with a small limit)', async () => {
    const { key } = await createKey(adminA, a.id, 'Limits');
    const handler = createIngestFeedHandler({ sql, limits: { maxEvents: 2 } });
    const r = await call(handler, jsonRequest('http://local/functions/v1/ingest-feed', { events: events('limit', 3) }, key));
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'payload_too_large', limit_events: 2, received: 3 });
  });

  it('revoked, unknown, wrong, malformed and missing keys get 401 and store nothing', async () => {
    const { key, id, prefix } = await createKey(adminA, a.id, 'To revoke');
    const tag = `revoked-${randomUUID().slice(0, 8)}`;
    expect((await feed(key, { events: events(tag, 1) })).status).toBe(200);

    const revoked = await invoke(adminA, 'feed-keys', { action: 'revoke', id });
    expect(revoked.status).toBe(200);
    expect(revoked.body.changed).toBe(true);
    expect(revoked.body.feed_key.revoked_at).not.toBeNull();
    expect((await invoke(adminA, 'feed-keys', { action: 'revoke', id })).body.changed).toBe(false);

    const secret = key.slice(prefix.length + 1);
    const flipped = secret[0] === 'A' ? `B${secret.slice(1)}` : `A${secret.slice(1)}`;
    const { key: live, prefix: livePrefix } = await createKey(adminA, a.id, 'Live');
    const candidates: Array<[string, string | null]> = [
      ['revoked', key],
      ['unknown prefix', `hwfk_000000000000_${secret}`],
      ['wrong secret for a live prefix', `${livePrefix}_${flipped}`],
      ['malformed', 'hwfk_nope'],
      ['a JWT', info.serviceRoleKey],
      ['missing', null],
    ];
    for (const [what, k] of candidates) {
      const r = await feed(k, { events: events(`${tag}-x`, 1) });
      expect(r.status, what).toBe(401);
      expect(r.body.error.code, what).toBe('invalid_key');
    }
    expect(await stored(a.id, `${tag}-x`)).toBe(0);
    expect((await feed(live, { events: events(`${tag}-live`, 1) })).status).toBe(200);
  });

  it('the per-key rate limit answers 429 with Retry-After, and other keys are not affected', async () => {
    const { key } = await createKey(adminA, a.id, 'Slow feed', { rate_limit_per_minute: 2 });
    const { key: other } = await createKey(adminA, a.id, 'Other feed', { rate_limit_per_minute: 2 });
    const tag = `rate-${randomUUID().slice(0, 8)}`;
    expect((await feed(key, { events: events(`${tag}-1`, 1) })).status).toBe(200);
    expect((await feed(key, { events: events(`${tag}-2`, 1) })).status).toBe(200);
    const limited = await feed(key, { events: events(`${tag}-3`, 1) });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', limit_per_minute: 2 });
    const retry = Number(limited.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(30);
    expect(limited.body.error.retry_after_seconds).toBe(retry);
    expect(await stored(a.id, `${tag}-3`)).toBe(0);
    expect((await feed(other, { events: events(`${tag}-o`, 1) })).status).toBe(200);
  });

  // A limit of 3 a minute refills one request every 20 s: the margin for a loaded machine.
  it('concurrent requests share one bucket: a limit of 3 admits exactly 3 of 10 sent at once', async () => {
    const { key } = await createKey(adminA, a.id, 'Burst feed', { rate_limit_per_minute: 3 });
    const tag = `burst-${randomUUID().slice(0, 8)}`;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => feed(key, { events: events(`${tag}-${i}-`, 1) })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(3).fill(200), ...Array(7).fill(429)]);
    expect(await stored(a.id, tag)).toBe(3);
  });

  it('last_used_at is written at most once a minute', async () => {
    const { key, id } = await createKey(adminA, a.id, 'Busy feed');
    const tag = `busy-${randomUUID().slice(0, 8)}`;
    const lastUsed = async () => (await sql<{ t: string | null }[]>`select last_used_at::text as t from public.feed_keys where id = ${id}`)[0]!.t;
    expect(await lastUsed()).toBeNull();
    await feed(key, { events: events(`${tag}-1`, 1) });
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await feed(key, { events: events(`${tag}-2`, 1) });
    expect(await lastUsed()).toBe(first);
    await sql`update public.feed_keys set last_used_at = now() - interval '2 minutes' where id = ${id}`;
    const aged = await lastUsed();
    await feed(key, { events: events(`${tag}-3`, 1) });
    expect(await lastUsed()).not.toBe(aged);
  });

  it('creations and revocations are in the audit log with the actor, never the key', async () => {
    const { key, id, prefix } = await createKey(adminA, a.id, 'Audited');
    await invoke(adminA, 'feed-keys', { action: 'revoke', id });
    const rows = await sql<{ action: string; actor: string | null; before: unknown; after: unknown }[]>`
      select action, actor, before, after from public.audit_log where org_id = ${a.id} and target_type = 'feed_key' and target_id = ${id} order by id`;
    const { data } = await adminA.auth.getUser();
    expect(rows.map((r) => r.action)).toEqual(['feed_key.create', 'feed_key.revoke']);
    expect(rows.every((r) => r.actor === data.user!.id)).toBe(true);
    expect(rows[0]!.before).toBeNull();
    expect(rows[0]!.after).toEqual({ name: 'Audited', key_prefix: prefix, rate_limit_per_minute: 600 });
    expect(rows[1]!.before).toEqual({ name: 'Audited', key_prefix: prefix, revoked_at: null });
    expect((rows[1]!.after as { revoked_at: string }).revoked_at).toMatch(/^\d{4}-/);
    expect(JSON.stringify(rows)).not.toContain(key.slice(prefix.length + 1));
  });
});
