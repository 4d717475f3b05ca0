import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { closeClients, sb, stackInfo } from '../../support/hardening.ts';
import { createTenant, type Tenant } from '../security/support.ts';

/**
 * RLS on storage.objects through /storage/v1, set up the way a product migration would
 * (insert into storage.buckets + create policy … on storage.objects): a per-org folder
 * bucket like the product's `basemaps`, members read their org's folder, admins write it,
 * and no org sees or touches another's. Users sign in through /auth/v1, so their tokens
 * carry the real hook's org_roles.
 */

const bucket = `basemaps-${randomUUID().slice(0, 8)}`;
let sql: Sql;
let a: Tenant;
let b: Tenant;
const DENIED = { statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message: 'new row violates row-level security policy' };
const NOT_FOUND = { statusCode: '404', code: 'NoSuchKey', error: 'not_found', message: 'Object not found' };

beforeAll(async () => {
  sql = adminSql(2);
  // What a migration in migrations/ would say; the storage schema is already there, as on hosted Supabase.
  const member = `((select auth.jwt()) -> 'org_roles') ? (storage.foldername(name))[1]`;
  const admin = `((select auth.jwt()) -> 'org_roles' ->> (storage.foldername(name))[1]) = 'admin'`;
  await sql.unsafe(`
    insert into storage.buckets (id, name, public) values ('${bucket}', '${bucket}', false);
    create policy "${bucket} members read" on storage.objects for select to authenticated using (bucket_id = '${bucket}' and ${member});
    create policy "${bucket} admins insert" on storage.objects for insert to authenticated with check (bucket_id = '${bucket}' and ${admin});
    create policy "${bucket} admins update" on storage.objects for update to authenticated using (bucket_id = '${bucket}' and ${admin}) with check (bucket_id = '${bucket}' and ${admin});
    create policy "${bucket} admins delete" on storage.objects for delete to authenticated using (bucket_id = '${bucket}' and ${admin});
  `);
  a = await createTenant(sql, 'storage-a');
  b = await createTenant(sql, 'storage-b');
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

const tiles = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 256));
const objectUrl = (name: string): string => `${stackInfo().apiUrl}/storage/v1/object/${bucket}/${name}`;

async function rawUpload(token: string, name: string, upsert = false): Promise<Response> {
  return fetch(objectUrl(name), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, apikey: stackInfo().anonKey, 'content-type': 'application/octet-stream', 'x-upsert': String(upsert) },
    body: tiles,
  });
}

describe('per-org folders on storage.objects', () => {
  it('lets an org admin upload into their folder and its members read it, with Range', async () => {
    const up = await a.members.admin.client.storage.from(bucket).upload(`${a.id}/city.pmtiles`, tiles, { contentType: 'application/octet-stream' });
    expect(up.error).toBeNull();
    const owner = await sql`select owner::text, owner_id from storage.objects where bucket_id = ${bucket} and name = ${`${a.id}/city.pmtiles`}`;
    expect(owner[0]).toEqual({ owner: a.members.admin.userId, owner_id: a.members.admin.userId });

    const dl = await a.members.viewer.client.storage.from(bucket).download(`${a.id}/city.pmtiles`);
    expect(dl.error).toBeNull();
    expect(Buffer.from(await dl.data!.arrayBuffer())).toEqual(tiles);
    const r = await fetch(objectUrl(`${a.id}/city.pmtiles`), { headers: { authorization: `Bearer ${a.members.viewer.token}`, range: 'bytes=0-126' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 0-126/4096');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(tiles.subarray(0, 127));
    const listed = await a.members.operator.client.storage.from(bucket).list(a.id);
    expect(listed.data?.map((o) => o.name)).toEqual(['city.pmtiles']);
  });

  it('refuses uploads by non-admins and into another org with Storage\'s RLS answer', async () => {
    const viewer = await rawUpload(a.members.viewer.token, `${a.id}/viewer.pmtiles`);
    expect(viewer.status).toBe(400);
    expect(await viewer.json()).toEqual(DENIED);
    const other = await rawUpload(b.members.admin.token, `${a.id}/intruder.pmtiles`);
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual(DENIED);
    const sdk = await b.members.admin.client.storage.from(bucket).upload(`${a.id}/intruder2.pmtiles`, tiles);
    expect(sdk.error?.message).toBe('new row violates row-level security policy');
    // Overwriting (upsert) needs the UPDATE policy too: another org's admin cannot.
    const overwrite = await rawUpload(b.members.admin.token, `${a.id}/city.pmtiles`, true);
    expect(overwrite.status).toBe(400);
    expect(await overwrite.json()).toEqual(DENIED);
    const rows = await sql`select name from storage.objects where bucket_id = ${bucket} and name like ${`${a.id}/%`} order by name`;
    expect(rows.map((x) => x.name)).toEqual([`${a.id}/city.pmtiles`]);
    // Nothing was written over org A's bytes.
    const dl = await a.members.viewer.client.storage.from(bucket).download(`${a.id}/city.pmtiles`);
    expect(Buffer.from(await dl.data!.arrayBuffer())).toEqual(tiles);
  });

  it('hides another org\'s objects from reads, lists, info, signing and removal', async () => {
    const name = `${a.id}/city.pmtiles`;
    for (const token of [b.members.admin.token, stackInfo().anonKey]) {
      const r = await fetch(objectUrl(name), { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual(NOT_FOUND);
    }
    const other = b.members.admin.client.storage.from(bucket);
    expect((await other.list(a.id)).data).toEqual([]);
    expect((await other.info(name)).error).not.toBeNull();
    expect((await other.createSignedUrl(name, 60)).error?.message).toBe('Object not found');
    const removed = await other.remove([name]);
    expect(removed.data).toEqual([]);
    expect((await sql`select 1 from storage.objects where bucket_id = ${bucket} and name = ${name}`).length).toBe(1);
    // Members of A cannot remove either unless admin.
    expect((await a.members.operator.client.storage.from(bucket).remove([name])).data).toEqual([]);
  });

  it('keeps buckets to the service role when storage.buckets has no policy', async () => {
    const admin = a.members.admin.client.storage;
    expect((await admin.createBucket(`${bucket}-mine`, { public: true })).error?.message).toBe('new row violates row-level security policy');
    expect((await admin.getBucket(bucket)).error?.message).toBe('Bucket not found');
    expect((await admin.listBuckets()).data).toEqual([]);
    expect((await admin.emptyBucket(bucket)).error?.message).toBe('Bucket not found');
    expect((await admin.deleteBucket(bucket)).error?.message).toBe('The bucket you tried to delete is not empty');
    expect((await sql`select 1 from storage.buckets where id = ${bucket}`).length).toBe(1);
  });

  it('lets the service role see every org and an admin remove their own object', async () => {
    const svc = sb(undefined, { key: stackInfo().serviceRoleKey }).storage.from(bucket);
    await b.members.admin.client.storage.from(bucket).upload(`${b.id}/b.pmtiles`, tiles);
    expect((await svc.list(a.id)).data?.map((o) => o.name)).toEqual(['city.pmtiles']);
    expect((await svc.list(b.id)).data?.map((o) => o.name)).toEqual(['b.pmtiles']);
    const removed = await a.members.admin.client.storage.from(bucket).remove([`${a.id}/city.pmtiles`]);
    expect(removed.data?.map((o) => o.name)).toEqual([`${a.id}/city.pmtiles`]);
    expect((await svc.download(`${a.id}/city.pmtiles`)).error).not.toBeNull();
  });
});

describe('the global limit from supabase/config.toml', () => {
  it('refuses an upload over [storage] file_size_limit (50MiB) with 413 EntityTooLarge', async () => {
    const svcKey = stackInfo().serviceRoleKey;
    const big = Buffer.alloc(50 * 1024 * 1024 + 1, 1);
    const r = await fetch(objectUrl(`${a.id}/huge.bin`), {
      method: 'POST', headers: { authorization: `Bearer ${svcKey}`, 'content-type': 'application/octet-stream' }, body: big,
    });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ statusCode: '413', code: 'EntityTooLarge', error: 'Payload too large', message: 'The object exceeded the maximum allowed size' });
    expect((await sql`select 1 from storage.objects where bucket_id = ${bucket} and name = ${`${a.id}/huge.bin`}`).length).toBe(0);
  });
});
