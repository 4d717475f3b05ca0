/**
 * The `basemaps` bucket of migrations/…_basemaps_bucket.sql through supabase-js
 * `storage.*` against the stack, and the map settings that point at it: an org's admins
 * write its folder, its members read it (also in byte ranges, 206, as the dashboard's
 * PMTiles reader asks), other orgs neither; `map.basemap` is validated by org-settings
 * (kind, style URL, an archive under the org's own folder) and a refusal stores nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgSettingsHandler } from '../../../functions/org-settings/handler.ts';
import { REPO_ROOT } from '../../../stack/src/config.ts';
import { adminSql } from '../../support/db.ts';
import { call, jsonRequest } from '../../support/functions.ts';
import { closeClients, stackInfo } from '../../support/hardening.ts';
import { createTenant, type Tenant } from '../security/support.ts';

const sql = adminSql(4);
const handler = createOrgSettingsHandler({ sql, report: (e) => console.error('ORG-SETTINGS', e) });
const update = (body: Record<string, unknown>, token: string) =>
  call(handler, jsonRequest('http://local/functions/v1/org-settings', { action: 'update', ...body }, token));
const archive = fs.readFileSync(path.join(REPO_ROOT, 'tests/fixtures/basemap/testbury.pmtiles'));
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  a = await createTenant(sql, 'basemaps-a');
  b = await createTenant(sql, 'basemaps-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

describe('basemaps bucket', () => {
  it('is private with the CLI\'s 50 MiB object limit', async () => {
    expect(await sql`select public, file_size_limit::int as limit from storage.buckets where id = 'basemaps'`).toEqual([{ public: false, limit: 52428800 }]);
  });

  it('admins write their org\'s folder; members read it, also by byte range; other orgs do neither', async () => {
    const key = `${a.id}/city.pmtiles`;
    const up = await a.members.admin.client.storage.from('basemaps').upload(key, archive, { contentType: 'application/vnd.pmtiles', upsert: true });
    expect(up.error).toBeNull();
    for (const role of ['operator', 'viewer'] as const) {
      const w = await a.members[role].client.storage.from('basemaps').upload(`${a.id}/${role}.pmtiles`, archive, { contentType: 'application/vnd.pmtiles' });
      expect(w.error?.message).toBe('new row violates row-level security policy');
    }
    const other = await b.members.admin.client.storage.from('basemaps').upload(key, archive, { contentType: 'application/vnd.pmtiles', upsert: true });
    expect(other.error?.message).toBe('new row violates row-level security policy');

    const dl = await a.members.viewer.client.storage.from('basemaps').download(key);
    expect(Buffer.from(await dl.data!.arrayBuffer()).equals(archive)).toBe(true);
    expect((await b.members.admin.client.storage.from('basemaps').download(key)).error).not.toBeNull();
    const listed = await b.members.admin.client.storage.from('basemaps').list(a.id);
    expect(listed.data ?? []).toEqual([]);

    // What pmtiles' FetchSource sends: the header's first 127 bytes, then a directory range.
    const url = `${stackInfo().apiUrl}/storage/v1/object/authenticated/basemaps/${key}`;
    const headers = { apikey: stackInfo().anonKey, authorization: `Bearer ${a.members.viewer.token}` };
    const head = await fetch(url, { headers: { ...headers, range: 'bytes=0-126' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-126/${archive.length}`);
    expect(Buffer.from(await head.arrayBuffer()).equals(archive.subarray(0, 127))).toBe(true);
    const outsider = await fetch(url, { headers: { apikey: stackInfo().anonKey, authorization: `Bearer ${b.members.admin.token}`, range: 'bytes=0-126' } });
    expect(outsider.status).toBe(400);
    expect(await outsider.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('map settings', () => {
  it('a style URL or an archive in the org\'s own folder is stored; bad shapes get field errors and change nothing', async () => {
    const ok = await update({ org_id: a.id, map: { basemap: { kind: 'pmtiles', path: `${a.id}/city.pmtiles` } } }, a.members.admin.token);
    expect(ok.status).toBe(200);
    expect(ok.body.map).toEqual({ basemap: { kind: 'pmtiles', path: `${a.id}/city.pmtiles` } });
    const style = await update({ org_id: a.id, map: { basemap: { kind: 'style', url: 'https://tiles.example.org/style.json' } } }, a.members.admin.token);
    expect(style.status).toBe(200);

    const before = (await sql`select map from public.org_settings where org_id = ${a.id}`)[0];
    const cases: Array<[unknown, string]> = [
      [{ basemap: { kind: 'pmtiles', path: `${b.id}/city.pmtiles` } }, 'map.basemap.path'],
      [{ basemap: { kind: 'pmtiles', path: `${a.id}/../x.pmtiles` } }, 'map.basemap.path'],
      [{ basemap: { kind: 'pmtiles', path: `${a.id}/city.zip` } }, 'map.basemap.path'],
      [{ basemap: { kind: 'style', url: 'javascript:alert(1)' } }, 'map.basemap.url'],
      [{ basemap: { kind: 'style', url: 'ftp://tiles.example.org/style.json' } }, 'map.basemap.url'],
      [{ basemap: { kind: 'tiles' } }, 'map.basemap.kind'],
      [{ style: 'https://tiles.example.org/style.json' }, 'map.style'],
    ];
    for (const [map, p] of cases) {
      const r = await update({ org_id: a.id, map }, a.members.admin.token);
      expect(r.status, JSON.stringify(map)).toBe(400);
      expect(r.body.error.errors, JSON.stringify(r.body.error.errors)).toContainEqual(expect.objectContaining({ path: p }));
    }
    expect((await sql`select map from public.org_settings where org_id = ${a.id}`)[0]).toEqual(before);
  });
});
