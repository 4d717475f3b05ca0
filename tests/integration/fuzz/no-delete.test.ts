/**
 * No API path deletes a stream row (hotspots, alerts, recommendations) or an audit row
 * (decisions): DELETE and PATCH/PUT/upsert-to-delete over REST with every key the stack
 * accepts (anon, publishable, a viewer/operator/admin JWT, service_role JWT, secret
 * key), rpc, the functions and Realtime's REST broadcast. After every attempt each row
 * still exists, in its org.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY } from '../../../stack/src/keys.ts';
import { adminSql } from '../../support/db.ts';
import { createSecretOrg, orgTokens, serviceJwt, stackInfo, streamRowCount, type SecretOrg } from '../../support/hardening.ts';

const info = stackInfo();
const sql = adminSql(4);
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
let a: SecretOrg;
let b: SecretOrg;
let keys: Record<string, { apikey: string; bearer?: string }>;

beforeAll(async () => {
  a = await createSecretOrg(sql, 'nodelete-a', { active: true });
  b = await createSecretOrg(sql, 'nodelete-b');
  const t = orgTokens(a);
  keys = {
    anon: { apikey: info.anonKey },
    publishable: { apikey: DEFAULT_PUBLISHABLE_KEY },
    viewer: { apikey: info.anonKey, bearer: t.viewer },
    operator: { apikey: info.anonKey, bearer: t.operator },
    admin: { apikey: info.anonKey, bearer: t.admin },
    service: { apikey: info.serviceRoleKey },
    serviceMinted: { apikey: info.anonKey, bearer: serviceJwt() },
    secret: { apikey: DEFAULT_SECRET_KEY },
    secretAsBearer: { apikey: DEFAULT_PUBLISHABLE_KEY, bearer: DEFAULT_SECRET_KEY },
  };
});
afterAll(() => sql.end());

type Row = { table: string; id: number; org: string };
const rows = (): Row[] => [
  { table: 'hotspots', id: a.hotspotId, org: a.id }, { table: 'alerts', id: a.alertId, org: a.id }, { table: 'recommendations', id: a.recommendationId, org: a.id },
  { table: 'hotspots', id: b.hotspotId, org: b.id }, { table: 'alerts', id: b.alertId, org: b.id }, { table: 'recommendations', id: b.recommendationId, org: b.id },
];

/** Every fixture row exists, still in its own org, with its id. */
async function allRowsIntact(): Promise<string[]> {
  const problems: string[] = [];
  for (const r of rows()) {
    const [x] = await sql.unsafe<{ org_id: string }[]>(`select org_id::text from public.${r.table} where id = $1`, [r.id]);
    if (!x) problems.push(`${r.table} ${r.id} is gone`);
    else if (x.org_id !== r.org) problems.push(`${r.table} ${r.id} moved to org ${x.org_id}`);
  }
  const [d] = await sql<{ n: number }[]>`select count(*)::int as n from public.decisions where org_id in (${a.id}, ${b.id})`;
  if (d!.n < 2) problems.push(`decisions: ${d!.n} left`);
  return problems;
}

async function rest(method: string, path: string, who: string, body?: unknown, prefer?: string): Promise<{ status: number; text: string }> {
  const k = keys[who]!;
  const headers: Record<string, string> = { apikey: k.apikey, 'content-type': 'application/json' };
  if (k.bearer) headers.authorization = `Bearer ${k.bearer}`;
  if (prefer) headers.prefer = prefer;
  const res = await fetch(`${info.apiUrl}/rest/v1/${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, text: await res.text() };
}

describe('no API path deletes a stream row', () => {
  it('REST DELETE with every key, filter and preference: refused, every row intact', async () => {
    const before = await streamRowCount(sql);
    const filters = (r: Row) => [`id=eq.${r.id}`, `org_id=eq.${r.org}`, `id=gt.0`, `or=(id.eq.${r.id},id.neq.${r.id})`, `id=in.(${r.id})`, 'id=not.is.null'];
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...rows()), fc.constantFrom(...Object.keys(keys)), fc.nat(5),
      fc.constantFrom(undefined, 'return=representation', 'tx=commit', 'return=minimal, count=exact', 'handling=strict, max-affected=1000', 'tx=rollback'),
      async (r, who, fi, prefer) => {
        const res = await rest('DELETE', `${r.table}?${filters(r)[fi]}`, who, undefined, prefer);
        expect(res.status, `${who} DELETE ${r.table}: ${res.text}`).toBeLessThan(500);
        // Nothing visible is ever deleted: an error, or a no-op (RLS hides the row from the caller).
        if (res.status < 300 && res.text.startsWith('[')) expect(JSON.parse(res.text)).toEqual([]);
      }), { numRuns: RUNS });
    expect(await allRowsIntact()).toEqual([]);
    const after = await streamRowCount(sql);
    for (const t of ['hotspots', 'alerts', 'recommendations', 'decisions'] as const) expect(after[t]).toBeGreaterThanOrEqual(before[t]!);
  });

  it('members cannot PATCH, PUT or upsert a stream row away (status, org, id), with any member key', async () => {
    for (const who of ['anon', 'publishable', 'viewer', 'operator', 'admin']) {
      for (const r of rows()) {
        for (const body of [{ org_id: b.id }, { status: 'resolved' }, { state: 'resolved' }, { id: 999999999 }, { version: 0 }]) {
          const res = await rest('PATCH', `${r.table}?id=eq.${r.id}`, who, body, 'return=representation');
          expect(res.status, `${who} PATCH ${r.table} ${JSON.stringify(body)}: ${res.text}`).toBeLessThan(500);
          if (res.status < 300) expect(JSON.parse(res.text || '[]')).toEqual([]);
        }
        const put = await rest('PUT', `${r.table}?id=eq.${r.id}`, who, { id: r.id, org_id: b.id });
        expect(put.status, put.text).toBeGreaterThanOrEqual(400);
        expect(put.status, put.text).toBeLessThan(500);
        const upsert = await rest('POST', `${r.table}?on_conflict=id`, who, { id: r.id, org_id: b.id }, 'resolution=merge-duplicates');
        expect(upsert.status, upsert.text).toBeGreaterThanOrEqual(400);
        expect(upsert.status, upsert.text).toBeLessThan(500);
      }
    }
    expect(await allRowsIntact()).toEqual([]);
  });

  it('the service role cannot DELETE or TRUNCATE a stream row or an audit row either', async () => {
    // (secretAsBearer: Kong, like the gateway, takes the role from the apikey when the Bearer is an opaque key → anon → 401.)
    for (const who of ['service', 'serviceMinted', 'secret', 'secretAsBearer']) {
      for (const r of rows()) {
        const res = await rest('DELETE', `${r.table}?id=eq.${r.id}`, who);
        expect(res.status, `${who}: ${res.text}`).toBe(who === 'secretAsBearer' ? 401 : 403);
        expect(JSON.parse(res.text)).toMatchObject({ code: '42501' });
      }
      const d = await rest('DELETE', `decisions?org_id=eq.${a.id}`, who);
      expect([401, 403], d.text).toContain(d.status);
      // Deleting the org would need its stream rows gone first: the foreign keys refuse it (anon: RLS hides it, 0 rows).
      const o = await rest('DELETE', `orgs?id=eq.${a.id}`, who);
      expect(o.status, o.text).toBe(who === 'secretAsBearer' ? 204 : 409);
    }
    expect(await allRowsIntact()).toEqual([]);
  });

  // Guard (found here, fixed in 125166e): UPDATE was revoked from anon and authenticated only,
  // so the service role could PATCH a stream row's org_id over REST — for its tenant's
  // subscribers a delete they never hear about, for the other tenant a row never theirs.
  it('not even the service role can move a stream row to another org (org_id is immutable)', async () => {
    const r = rows()[0]!;
    const res = await rest('PATCH', `${r.table}?id=eq.${r.id}`, 'service', { org_id: b.id }, 'return=representation');
    const [x] = await sql.unsafe<{ org_id: string }[]>(`select org_id::text from public.${r.table} where id = $1`, [r.id]);
    if (x!.org_id !== r.org) await sql.unsafe(`update public.${r.table} set org_id = $1 where id = $2`, [r.org, r.id]); // put it back for the other tests
    expect(res.status, res.text).toBeGreaterThanOrEqual(400);
    expect(x!.org_id).toBe(r.org);
  });

  it('rpc, functions and Realtime broadcast offer no delete either', async () => {
    for (const who of ['anon', 'operator', 'admin', 'service']) {
      for (const fn of ['refuse_delete', 'stream_row_stamp', 'count_cube_remove', 'stream_row_broadcast', 'delete_hotspot', 'truncate']) {
        const res = await rest('POST', `rpc/${fn}`, who, {});
        expect(res.status, `${who} rpc/${fn}: ${res.text}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${who} rpc/${fn}: ${res.text}`).toBeLessThan(500);
      }
    }
    const t = orgTokens(a);
    // Functions only change statuses: resolving an alert keeps it (and supersedes, never deletes, its recommendations).
    const res = await fetch(`${info.apiUrl}/functions/v1/decisions`, {
      method: 'DELETE', headers: { authorization: `Bearer ${t.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'resolve', alert_id: a.alertId }),
    });
    expect(res.status).toBe(405);
    await res.text();
    const resolve = await fetch(`${info.apiUrl}/functions/v1/decisions`, {
      method: 'POST', headers: { authorization: `Bearer ${t.operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ action: 'resolve', alert_id: a.alertId, reason: 'no-delete test' }),
    });
    expect(resolve.status, await resolve.text()).toBe(200);
    const [al] = await sql<{ state: string }[]>`select state from public.alerts where id = ${a.alertId}`;
    expect(al!.state).toBe('resolved');
    const [rec] = await sql<{ status: string }[]>`select status from public.recommendations where id = ${a.recommendationId}`;
    expect(rec!.status).toBe('superseded');
    // A forged DELETE broadcast on the private stream topic reaches nobody and changes nothing.
    const bc = await fetch(`${info.apiUrl}/realtime/v1/api/broadcast`, {
      method: 'POST', headers: { apikey: info.anonKey, authorization: `Bearer ${t.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: `org:${a.id}:hotspots`, event: 'DELETE', payload: { old_record: { id: a.hotspotId } }, private: true }] }),
    });
    expect(bc.status).toBe(202);
    await bc.text();
    expect(await allRowsIntact()).toEqual([]);
  });
});
