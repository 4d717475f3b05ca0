import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../../functions/ingest-events/handler.ts';
import { emptyColumns } from '../../../functions/ingest-events/rules/batch.ts';
import { insertEvents } from '../../../functions/ingest-events/store/events.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { anonToken, call, jsonRequest, serviceToken, userToken } from '../../support/functions.ts';

const sql = adminSql(6);
const handler = createIngestHandler({ sql, report: (e) => console.error('REPORT', e) });
const URL_ = 'http://local/functions/v1/ingest-events';
let a: TestOrg;
let b: TestOrg;
let service: string;
let operatorA: string;
let viewerA: string;

const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
const ev = (id: string, extra: Record<string, unknown> = {}) => ({
  source: 'cad', external_id: id, category: 'fire', occurred_at: hourAgo, lat: 40.75, lng: -73.99, ...extra,
});

beforeAll(async () => {
  a = await createTestOrg(sql, 'ingest-a');
  b = await createTestOrg(sql, 'ingest-b');
  service = await serviceToken();
  operatorA = await userToken(a.operator.id, { [a.id]: 'operator' });
  viewerA = await userToken(a.viewer.id, { [a.id]: 'viewer' });
});
afterAll(() => sql.end());

const counts = async (org: string) => {
  const [r] = await sql<{ events: number; cube: number }[]>`
    select (select count(*)::int from public.events where org_id = ${org}) as events,
           (select coalesce(sum(n), 0)::int from public.count_cube where org_id = ${org}) as cube`;
  return r!;
};

describe('ingest-events (in-process handler)', () => {
  it('accepts a batch with the service role, fills the cube, and is idempotent on re-send', async () => {
    const batch = { org_id: a.id, events: [ev('s-1'), ev('s-2', { weight: 3 }), ev('s-3', { category: 'flood' })] };
    const first = await call(handler, jsonRequest(URL_, batch, service));
    expect(first).toMatchObject({ status: 200, body: { accepted: 3, duplicate: 0, rejected: 0, received: 3 } });
    const again = await call(handler, jsonRequest(URL_, batch, service));
    expect(again.body).toMatchObject({ accepted: 0, duplicate: 3, rejected: 0 });
    expect(await counts(a.id)).toEqual({ events: 3, cube: 3 });
    const [cell] = await sql`select h3_cell, public.h3_cell_resolution(h3_cell) as res from public.events where org_id = ${a.id} limit 1`;
    expect(cell!.res).toBe(9);
  });

  it('counts a repeated id inside one batch as a duplicate', async () => {
    const r = await call(handler, jsonRequest(URL_, { org_id: a.id, events: [ev('d-1'), ev('d-1')] }, service));
    expect(r.body).toMatchObject({ accepted: 1, duplicate: 1 });
  });

  it('lets an operator ingest for their org, inferring org_id when they have one', async () => {
    const r = await call(handler, jsonRequest(URL_, { events: [ev('o-1')] }, operatorA));
    expect(r).toMatchObject({ status: 200, body: { org_id: a.id, accepted: 1 } });
  });

  it('refuses viewers (403), other orgs (404), anon and missing tokens (401)', async () => {
    expect((await call(handler, jsonRequest(URL_, { org_id: a.id, events: [ev('v-1')] }, viewerA))).status).toBe(403);
    expect((await call(handler, jsonRequest(URL_, { org_id: b.id, events: [ev('x-1')] }, operatorA))).status).toBe(404);
    expect((await call(handler, jsonRequest(URL_, { org_id: a.id, events: [ev('n-1')] }, await anonToken()))).status).toBe(401);
    expect((await call(handler, jsonRequest(URL_, { org_id: a.id, events: [ev('n-2')] }))).status).toBe(401);
    expect(await counts(b.id)).toEqual({ events: 0, cube: 0 });
  });

  it('404s an unknown org for the service role and needs org_id', async () => {
    const r = await call(handler, jsonRequest(URL_, { org_id: '00000000-0000-4000-8000-000000000000', events: [ev('u-1')] }, service));
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'org_not_found' } } });
    const m = await call(handler, jsonRequest(URL_, { events: [ev('u-2')] }, service));
    expect(m).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', errors: [{ path: 'org_id' }] } } });
  });

  it('stores the valid items and reports the invalid ones by index', async () => {
    const r = await call(handler, jsonRequest(URL_, { org_id: b.id, events: [ev('p-1'), ev('p-2', { lat: 91 }), ev('p-3', { category: 'BAD' })] }, service));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 2 });
    expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(['events[1].lat', 'events[2].category']);
    expect(await counts(b.id)).toEqual({ events: 1, cube: 1 });
  });

  it('atomic: one invalid item refuses the batch and writes nothing', async () => {
    const before = await counts(b.id);
    const r = await call(handler, jsonRequest(URL_, { org_id: b.id, atomic: true, events: [ev('q-1'), ev('q-2', { lng: 200 })] }, service));
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', rejected: 1 } } });
    expect(await counts(b.id)).toEqual(before);
  });

  it('answers 400 for bad JSON, 413 for too many events, 405 for GET', async () => {
    expect((await call(handler, jsonRequest(URL_, '{"events": [', service))).body.error.code).toBe('invalid_json');
    const many = Array.from({ length: 10_001 }, (_, i) => ev(`m-${i}`));
    expect(await call(handler, jsonRequest(URL_, { org_id: a.id, events: many }, service))).toMatchObject({
      status: 413, body: { error: { code: 'payload_too_large', limit_events: 10_000 } },
    });
    expect((await call(handler, new Request(URL_, { method: 'GET', headers: { authorization: `Bearer ${service}` } }))).status).toBe(405);
  });

  it('a database failure inside a batch writes nothing (events nor cube)', async () => {
    const before = await counts(b.id);
    const c = emptyColumns();
    for (const [id, lat] of [['f-1', 10], ['f-2', 95]] as const) {
      c.source.push('cad'); c.external_id.push(id); c.category.push('fire'); c.occurred_at.push(hourAgo);
      c.lat.push(lat); c.lng.push(0); c.weight.push(1); c.h3_cell.push('89754e64993ffff'); c.attributes.push('{}');
    }
    await expect(insertEvents(sql, b.id, c)).rejects.toThrow(/check constraint/);
    expect(await counts(b.id)).toEqual(before);
  });

  it('accepts 10,000 events in one request', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ev(`big-${i}`, { lat: 40.7 + (i % 100) * 0.001, lng: -74 + (i % 37) * 0.001 }));
    const r = await call(handler, jsonRequest(URL_, { org_id: b.id, events: many }, service));
    expect(r.body).toMatchObject({ accepted: 10_000, duplicate: 0, rejected: 0 });
  });
});
