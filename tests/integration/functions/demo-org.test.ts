/**
 * The demo stays in the demo org: events from the dashboard's demo generator are
 * refused (422 demo_not_allowed, nothing stored) for a non-demo org such as the seeded
 * Harbor, and accepted by a demo org such as the seeded Northside.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_SOURCE } from '../../../dashboard/src/demo-data.ts';
import { createIngestHandler } from '../../../functions/ingest-events/handler.ts';
import { adminSql } from '../../support/db.ts';
import { call, jsonRequest, serviceToken, userToken } from '../../support/functions.ts';

const sql = adminSql(4);
const ingest = createIngestHandler({ sql, report: (e) => console.error('INGEST', e) });
const NORTHSIDE = '11111111-1111-4111-8111-111111111111';
const HARBOR = '22222222-2222-4222-8222-222222222222';
const HARBOR_OPERATOR = 'bbbbbbbb-0000-4000-8000-000000000001';
afterAll(() => sql.end());

const tag = `demo-${Date.now()}`;
const event = (source: string, i: number) => ({
  source, external_id: `${tag}-${i}`, category: 'fire', occurred_at: new Date(Date.now() - 60_000).toISOString(), lat: 40.75, lng: -73.99,
});
const stored = async (orgId: string) => (await sql`select count(*)::int as n from public.events where org_id = ${orgId} and external_id like ${tag + '%'}`)[0]!.n;

describe('demo events', () => {
  it('Harbor (not a demo org) refuses them with 422 demo_not_allowed and stores nothing — from its operator or the service role', async () => {
    const operator = await userToken(HARBOR_OPERATOR, { [HARBOR]: 'operator' });
    for (const token of [operator, await serviceToken()]) {
      const r = await call(ingest, jsonRequest('http://local/functions/v1/ingest-events',
        { org_id: HARBOR, events: [event('cad', 1), event(DEMO_SOURCE, 2)] }, token));
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'demo_not_allowed', org_id: HARBOR });
    }
    expect(await stored(HARBOR)).toBe(0);
    // Its own feed's events are fine.
    const ok = await call(ingest, jsonRequest('http://local/functions/v1/ingest-events', { org_id: HARBOR, events: [event('cad', 3)] }, operator));
    expect(ok.body).toMatchObject({ accepted: 1 });
  });

  it('Northside (the demo org) accepts them', async () => {
    const r = await call(ingest, jsonRequest('http://local/functions/v1/ingest-events',
      { org_id: NORTHSIDE, events: [event(DEMO_SOURCE, 4)] }, await serviceToken()));
    expect(r.status).toBe(200);
    expect(await stored(NORTHSIDE)).toBe(1);
  });
});
