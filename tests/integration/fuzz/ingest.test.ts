/**
 * Fuzzing ingest-events through the functions gateway (real Deno): whatever the body,
 * headers and token, the function answers (never a crash, never a 5xx), an invalid
 * event is never stored, a valid one is stored exactly once in the caller's org only,
 * and the count cube stays equal to a recount of the events.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { holdScanSchedule } from '../../support/fixtures.ts';
import { assertAlive, createSecretOrg, footprint, orgTokens, rawJwt, serviceJwt, stackInfo, userJwt, type SecretOrg } from '../../support/hardening.ts';

const info = stackInfo();
const sql = adminSql(4);
const URL_ = `${info.apiUrl}/functions/v1/ingest-events`;
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
let f: SecretOrg; // the org the fuzzer ingests into
let b: SecretOrg; // the other tenant, which must never change
let tokens: Record<string, string | undefined>;

beforeAll(async () => {
  f = await createSecretOrg(sql, 'fuzz-ingest-f');
  b = await createSecretOrg(sql, 'fuzz-ingest-b');
  // The footprints below count hotspots and alerts: a scheduled scan of these orgs (their
  // planted events are news) would change them by itself between two footprints.
  for (const o of [f, b]) await holdScanSchedule(sql, o.id);
  const tf = orgTokens(f);
  tokens = {
    service: serviceJwt(),
    operator: tf.operator,
    admin: tf.admin,
    viewer: tf.viewer,
    anon: info.anonKey,
    otherOrgOperator: userJwt(b.operator.id, { [b.id]: 'operator' }),
    none: undefined,
  };
  // Warm the worker so the first fuzz case does not pay Deno's boot.
  await post({ org_id: f.id, events: [] }, tokens.service);
}, 120_000);
afterAll(() => sql.end());

async function post(body: unknown, token: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const h: Record<string, string> = { apikey: info.anonKey, 'content-type': 'application/json', ...headers };
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  const res = await fetch(URL_, { method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

async function eventCount(orgId: string): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${orgId}`;
  return r!.n;
}

async function cubeMatchesRecount(orgId: string): Promise<boolean> {
  const [r] = await sql<{ bad: number }[]>`
    with recount as (
      select category, public.h3_cell_to_parent(h3_cell, 8) as cell,
             date_bin('1 hour', occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket, count(*)::int as n
        from public.events where org_id = ${orgId} group by 1, 2, 3)
    select count(*)::int as bad from recount r full join (select * from public.count_cube where org_id = ${orgId}) c
        on c.category = r.category and c.cell = r.cell and c.bucket = r.bucket
     where coalesce(c.n, 0) <> coalesce(r.n, 0)`;
  return r!.bad === 0;
}

// ---- arbitraries --------------------------------------------------------------------------

const HOUR = 3_600_000;
const validEvent = (prefix: string) => fc.record({
  source: fc.constantFrom('cad', 'sensor-1', 'ßource', 'src/ä'),
  external_id: fc.string({ minLength: 1, maxLength: 40 }).map((s) => `${prefix}${s.replace(/[\u0000\uD800-\uDFFF]/g, 'x')}`),
  category: fc.constantFrom('fire', 'flood', 'noise_complaint', 'a', 'x'.repeat(63)),
  occurred_at: fc.integer({ min: 1, max: 30 * 24 }).map((h) => new Date(Date.now() - h * HOUR + 1234).toISOString()),
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lng: fc.double({ min: -180, max: 180, noNaN: true }),
  // Weights that round to 0 as float4 have their own test ('a weight below float4's range').
  weight: fc.option(fc.oneof(fc.constant(0), fc.double({ min: 1e-30, max: 1_000_000, noNaN: true })), { nil: undefined }),
  attributes: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), { nil: undefined }),
}, { requiredKeys: ['source', 'external_id', 'category', 'occurred_at', 'lat', 'lng'] });

/** One change that certainly makes an event invalid. */
const breakEvent = fc.oneof(
  fc.constant((e: Record<string, unknown>) => ({ ...e, lat: 90.000001 })),
  fc.double({ min: 90.0000001, max: 1e308, noNaN: true }).map((v) => (e: Record<string, unknown>) => ({ ...e, lat: -v })),
  fc.double({ min: 180.0000001, max: 1e308, noNaN: true }).map((v) => (e: Record<string, unknown>) => ({ ...e, lng: v })),
  fc.constantFrom('40.7', null, true, [], {}, '').map((v) => (e: Record<string, unknown>) => ({ ...e, lat: v })),
  fc.constantFrom('Fire', '1fire', '', 'fire-x', 'x'.repeat(64), 'fire\u0000', ' fire', 7).map((v) => (e: Record<string, unknown>) => ({ ...e, category: v })),
  fc.constantFrom('2026-11-26T09:30:00', '2026-13-01T00:00:00Z', 'yesterday', '1969-12-31T23:59:59Z', '0000-01-01T00:00:00Z',
    '+275760-09-13T00:00:00Z', '9999-12-31T23:59:59Z', 1764149400000, '').map((v) => (e: Record<string, unknown>) => ({ ...e, occurred_at: v })),
  fc.constant((e: Record<string, unknown>) => ({ ...e, occurred_at: new Date(Date.now() + 10 * 60_000).toISOString() })),
  fc.constantFrom('', 'a\u0000b', '\uD800', 'x'.repeat(101), 5, null).map((v) => (e: Record<string, unknown>) => ({ ...e, source: v })),
  fc.constantFrom('', '\uDFFFz', 'y'.repeat(201), [], null).map((v) => (e: Record<string, unknown>) => ({ ...e, external_id: v })),
  fc.constantFrom(-1, -1e-9, 1_000_000.5, 1e300, '1', null).map((v) => (e: Record<string, unknown>) => ({ ...e, weight: v })),
  fc.constantFrom<unknown>([], 'x', 3, null, { big: 'z'.repeat(5000) }, { k: 'a\u0000' }, { '\u0000': 1 }, { k: '\uD83D' })
    .map((v) => (e: Record<string, unknown>) => ({ ...e, attributes: v })),
  fc.constantFrom('org_id', 'id', 'h3_cell', 'received_at', '__proto__', 'constructor').map((k) => (e: Record<string, unknown>) => ({ ...e, [k]: 'x' })),
  fc.constantFrom('source', 'external_id', 'category', 'occurred_at', 'lat', 'lng').map((k) => (e: Record<string, unknown>) => {
    const { [k]: _drop, ...rest } = e;
    return rest;
  }),
  fc.constantFrom<unknown>(null, 1, 'event', [], true).map((v) => () => v),
);
const invalidEvent = (prefix: string) => fc.tuple(validEvent(prefix), breakEvent).map(([e, brk]) => brk(e as Record<string, unknown>));

const tokenName = fc.constantFrom('service', 'operator', 'admin', 'viewer', 'anon', 'otherOrgOperator', 'none');

// ---- properties ----------------------------------------------------------------------------

describe('fuzz: ingest-events through the functions gateway', () => {
  it('arbitrary bodies, content types and envelopes: a 4xx with an error code, nothing written', async () => {
    const before = [await footprint(sql, f.id), await footprint(sql, b.id)];
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.constantFrom('', ' ', '{', '{"events": [', 'null', '[]', '{"events": {}}', '{"events": null}', `{"org_id": "${f.id}"}`,
        '{"events": [], "atomic": "yes"}', `{"org_id": "not-a-uuid", "events": []}`, '\u0000', '{"events": [1e999]}', '{"__proto__": {"events": []}}'),
      fc.record({ org_id: fc.oneof(fc.constant(f.id), fc.uuid(), fc.string()), events: fc.anything({ maxDepth: 2 }), extra: fc.anything({ maxDepth: 1 }) })
        .map((v) => JSON.stringify(v)),
    );
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', '');
    await fc.assert(fc.asyncProperty(body, tokenName, contentType, async (text, who, ct) => {
      const r = await post(text, tokens[who], ct === '' ? { 'content-type': '' } : { 'content-type': ct });
      expect(r.status, r.text).toBeGreaterThanOrEqual(200);
      expect(r.status, r.text).toBeLessThan(500);
      if (r.status >= 400 && who !== 'none' && r.status !== 401) expect(() => JSON.parse(r.text), r.text).not.toThrow();
      // Only an empty or all-duplicate valid batch may be a 200, and then nothing is new.
      if (r.status === 200) expect(JSON.parse(r.text)).toMatchObject({ accepted: 0 });
    }), { numRuns: RUNS });
    expect([await footprint(sql, f.id), await footprint(sql, b.id)]).toEqual(before);
  });

  it('batches of certainly-invalid events: each one rejected by index, nothing stored, for every caller', async () => {
    const before = [await footprint(sql, f.id), await footprint(sql, b.id)];
    await fc.assert(fc.asyncProperty(fc.array(invalidEvent('bad-'), { minLength: 1, maxLength: 20 }), tokenName, fc.boolean(), fc.boolean(),
      async (events, who, atomic, withOrg) => {
        const body: Record<string, unknown> = { events, ...(atomic ? { atomic: true } : {}), ...(withOrg ? { org_id: f.id } : {}) };
        const r = await post(body, tokens[who]);
        expect(r.status, r.text).toBeLessThan(500);
        if (r.status === 200) {
          const j = JSON.parse(r.text) as { accepted: number; rejected: number; errors: Array<{ index: number }> };
          expect(j.accepted, r.text).toBe(0);
          expect(j.rejected).toBe(events.length);
          expect(new Set(j.errors.map((e) => e.index)).size).toBe(events.length);
        }
      }), { numRuns: RUNS });
    expect([await footprint(sql, f.id), await footprint(sql, b.id)]).toEqual(before);
  });

  it('mixed batches: exactly the valid new events are stored, once, in the caller\'s org; the cube equals a recount', async () => {
    const bBefore = await footprint(sql, b.id);
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.oneof(validEvent('ok-').map((e) => ({ ok: true as const, e })), invalidEvent('no-').map((e) => ({ ok: false as const, e }))),
        { minLength: 1, maxLength: 25 }),
      fc.constantFrom('service', 'operator', 'admin'), fc.boolean(),
      async (items, who, resend) => {
        const tag = `r${run++}-${Date.now().toString(36)}-`;
        const events = items.map((it) => (it.ok ? { ...it.e, external_id: tag + String(it.e.external_id) } : it.e));
        const validKeys = new Set(items.flatMap((it, i) => (it.ok ? [`${(events[i] as { source: string }).source}\u0001${(events[i] as { external_id: string }).external_id}`] : [])));
        const before = await eventCount(f.id);
        const r = await post({ org_id: f.id, events }, tokens[who]);
        expect(r.status, r.text).toBe(200);
        const j = JSON.parse(r.text) as { accepted: number; duplicate: number; rejected: number };
        expect(j.rejected, r.text).toBe(items.filter((it) => !it.ok).length);
        expect(j.accepted, r.text).toBe(validKeys.size);
        const after = await eventCount(f.id);
        expect(after - before).toBe(validKeys.size);
        if (resend) {
          const again = await post({ org_id: f.id, events }, tokens[who]);
          expect(JSON.parse(again.text)).toMatchObject({ accepted: 0, duplicate: items.filter((it) => it.ok).length });
        }
      }), { numRuns: Math.max(20, Math.floor(RUNS / 2)) });
    expect(await cubeMatchesRecount(f.id)).toBe(true);
    expect(await footprint(sql, b.id)).toEqual(bBefore);
    const [foreign] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where external_id like 'r%-%-ok-%' and org_id <> ${f.id}`;
    expect(foreign!.n).toBe(0);
  });

  // Guard (found here, fixed in 81693d0): the insert casts weights to real (float4); a
  // positive weight below its range used to underflow (22003) and answer 500, dropping
  // the batch's good rows with it.
  it('a weight below float4\'s range (1e-50) is answered per item or stored, never a 500 that drops the batch', async () => {
    const good = { source: 'w', external_id: `w-good-${Date.now()}`, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(), lat: 1, lng: 1 };
    const tiny = { ...good, external_id: `w-tiny-${Date.now()}`, weight: 1e-50 };
    const r = await post({ org_id: f.id, events: [good, tiny] }, tokens.service);
    expect(r.status, r.text).toBe(200);
    const { accepted, rejected } = JSON.parse(r.text) as { accepted: number; rejected: number };
    expect(accepted + rejected).toBe(2);
    expect(accepted).toBeGreaterThanOrEqual(1);
    const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${f.id} and external_id = ${good.external_id}`;
    expect(stored!.n).toBe(1);
  });

  it('forged, unsigned and expired tokens never reach the function', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      rawJwt({ role: 'service_role', exp: now + 3600 }, { secret: 'not-the-secret-not-the-secret-not-the-secret' }),
      rawJwt({ role: 'service_role', exp: now + 3600 }, { alg: 'none' }),
      rawJwt({ role: 'service_role', exp: now + 3600 }, { alg: 'HS512' }),
      rawJwt({ role: 'service_role', exp: now - 120 }),
      rawJwt({ role: 'service_role', exp: now + 3600 }, { signature: '' }),
      rawJwt({ role: 'service_role', exp: now + 3600 }, { signature: 'AAAA' }),
    ];
    const before = await footprint(sql, f.id);
    for (const t of forged) {
      const r = await post({ org_id: f.id, events: [{ source: 'x', external_id: `forged-${t.slice(-8)}`, category: 'fire', occurred_at: new Date().toISOString(), lat: 1, lng: 1 }] }, t);
      expect(r.status, `${t}: ${r.text}`).toBe(401);
    }
    expect(await footprint(sql, f.id)).toEqual(before);
  });

  it('the stack still answers a health check and a valid ingest afterwards', async () => {
    await assertAlive();
    const r = await post({ org_id: f.id, events: [{ source: 'after', external_id: `alive-${Date.now()}`, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(), lat: 40.7, lng: -74 }] }, tokens.operator);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ accepted: 1 });
  });
});
