/**
 * The SDK's function helpers against the real functions (through the stack's functions
 * gateway): each answer and each failure as its named error, and an approval reaching
 * a subscriber as an ordinary stream update.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ConflictError, createHotwatch, ForbiddenError, HotwatchError, NotFoundError, UnauthorizedError, ValidationError, type Hotwatch,
} from '../../../client-sdk/src/index.ts';
import { adminSql } from '../../support/db.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';
import { closeClients, insertChain, memberClient, mintToken, orgPlaybook, Recorder, viewerClaims, waitFor, type Chain } from './helpers.ts';

const info = inject('stack');
const sql = adminSql(4);
const hws: Hotwatch[] = [];
let org: TestOrg;
let playbook: string;
let operator: Hotwatch;
let viewer: Hotwatch;
let anon: Hotwatch;

beforeAll(async () => {
  org = await createTestOrg(sql, 'sdk-actions');
  playbook = await orgPlaybook(sql, org.id);
  const make = (token: string): Hotwatch => {
    const hw = createHotwatch(memberClient(info.apiUrl, info.anonKey, token));
    hws.push(hw);
    return hw;
  };
  operator = make(await mintToken(info.jwtSecret, viewerClaims(org.id, org.operator.id, 'operator')));
  viewer = make(await mintToken(info.jwtSecret, viewerClaims(org.id, org.viewer.id, 'viewer')));
  anon = make(info.anonKey);
});

afterAll(async () => {
  await Promise.all(hws.splice(0).map((h) => h.close()));
  await closeClients();
  await sql.end();
});

async function failure(p: Promise<unknown>): Promise<HotwatchError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(HotwatchError);
  return e as HotwatchError;
}

let n = 0;
const chain = (): Promise<Chain> => insertChain(sql, org.id, `act-${++n}`, playbook);

describe('SDK function helpers', () => {
  it('approve: success reaches a subscriber; again → ConflictError with the current state', async () => {
    const c = await chain();
    const rec = new Recorder();
    viewer.subscribe('recommendations', rec.handler, { orgId: org.id, onError: rec.onError });
    await waitFor(() => viewer.status === 'live', 20_000, () => 'live');
    const ok = await operator.approve(c.recommendation, 'crews available');
    expect(ok).toMatchObject({ recommendation: { status: 'approved' } });
    expect(Number(ok.recommendation?.['id'])).toBe(c.recommendation); // bigint ids arrive as text
    await waitFor(() => rec.latest.get(`recommendations:${c.recommendation}`)?.status === 'approved', 10_000, () => 'the approval in the stream');
    const e = await failure(operator.approve(c.recommendation));
    expect(e).toBeInstanceOf(ConflictError);
    expect(e).toMatchObject({ status: 409, code: 'conflict' });
    expect((e as ConflictError).current).toMatchObject({ status: 'approved' });
  });

  it('reject needs a reason → ValidationError with field errors; viewer → ForbiddenError', async () => {
    const c = await chain();
    const v = await failure(operator.reject(c.recommendation, ''));
    expect(v).toBeInstanceOf(ValidationError);
    expect((v as ValidationError).fieldErrors.map((f) => f.path)).toContain('reason');
    const f = await failure(viewer.reject(c.recommendation, 'no'));
    expect(f).toBeInstanceOf(ForbiddenError);
    expect(await operator.reject(c.recommendation, 'outside our district')).toMatchObject({ recommendation: { status: 'rejected' } });
  });

  it('acknowledge and resolve an alert; unknown ids → NotFoundError; anonymous → UnauthorizedError', async () => {
    const c = await chain();
    expect(await operator.acknowledgeAlert(c.alert)).toMatchObject({ alert: { state: 'acknowledged' } });
    expect(await failure(operator.acknowledgeAlert(c.alert))).toBeInstanceOf(ConflictError);
    expect(await operator.resolveAlert(c.alert, 'contained')).toMatchObject({ alert: { state: 'resolved' } });
    expect(await failure(operator.resolveAlert(c.alert))).toBeInstanceOf(ConflictError);
    expect(await failure(operator.acknowledgeAlert(999_999_999))).toBeInstanceOf(NotFoundError);
    expect(await failure(operator.approve(999_999_999))).toBeInstanceOf(NotFoundError);
    expect(await failure(anon.acknowledgeAlert(c.alert))).toBeInstanceOf(UnauthorizedError);
  });

  it('triggerScan: operator runs a scan; viewer → ForbiddenError; another org → NotFoundError', async () => {
    const r = await operator.triggerScan(org.id);
    expect(r).toMatchObject({ org_id: org.id });
    expect(['succeeded', 'skipped']).toContain(r.status);
    expect(await failure(viewer.triggerScan(org.id))).toBeInstanceOf(ForbiddenError);
    const other = await createTestOrg(sql, 'sdk-actions-other');
    expect(await failure(operator.triggerScan(other.id))).toBeInstanceOf(NotFoundError);
  });

  it('ingest: per-item rejections in the answer; atomic → ValidationError; viewer → ForbiddenError', async () => {
    const good = { source: 'sdk-test', external_id: `e-${Date.now()}`, category: 'fire', occurred_at: new Date().toISOString(), lat: 37.77, lng: -122.41 };
    const bad = { ...good, external_id: `bad-${Date.now()}`, lat: 91 };
    const r = await operator.ingest(org.id, [good, bad]);
    expect(r).toMatchObject({ received: 2, accepted: 1, rejected: 1 });
    expect(r.errors[0]).toMatchObject({ index: 1, path: 'events[1].lat' });
    const again = await operator.ingest(org.id, [good]);
    expect(again).toMatchObject({ accepted: 0, duplicate: 1 });
    const v = await failure(operator.ingest(org.id, [bad], { atomic: true }));
    expect(v).toBeInstanceOf(ValidationError);
    expect((v as ValidationError).fieldErrors[0]?.path).toBe('events[0].lat');
    expect(await failure(viewer.ingest(org.id, [good]))).toBeInstanceOf(ForbiddenError);
  });
});
