import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../support/functions.ts';
import { closeClients, sb, stackInfo } from '../../support/hardening.ts';

/**
 * Supabase Storage's object API through supabase-js `storage.*` against the stack:
 * buckets, upload (Blob, Buffer, upsert), download (whole, Range via fetch), list,
 * info, public and signed URLs, remove, and Storage's error shapes.
 */

const service = () => sb(undefined, { key: stackInfo().serviceRoleKey });
const bucket = `objects-${randomUUID().slice(0, 8)}`;
const publicBucket = `public-${randomUUID().slice(0, 8)}`;
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

beforeAll(async () => {
  const s = service();
  expect((await s.storage.createBucket(bucket, { public: false })).error).toBeNull();
  expect((await s.storage.createBucket(publicBucket, { public: true, fileSizeLimit: 2048, allowedMimeTypes: ['text/*', 'application/octet-stream'] })).error).toBeNull();
});
afterAll(closeClients);

describe('buckets', () => {
  it('creates, gets, lists, updates and refuses duplicates and bad names', async () => {
    const s = service();
    const id = `b-${randomUUID().slice(0, 8)}`;
    const created = await s.storage.createBucket(id, { public: false, fileSizeLimit: '1MB' });
    const tooBig = await s.storage.createBucket(`${id}-big`, { public: false, fileSizeLimit: '1GB' });
    expect(tooBig.error?.message).toBe('The object exceeded the maximum allowed size');
    const badMime = await s.storage.createBucket(`${id}-mime`, { public: false, allowedMimeTypes: ['nope'] });
    expect(badMime.error?.message).toBe('mime type nope is not supported');
    expect(created.error).toBeNull();
    expect(created.data).toEqual({ name: id });
    const got = await s.storage.getBucket(id);
    expect(got.data).toMatchObject({ id, name: id, public: false, file_size_limit: 1_000_000, allowed_mime_types: null });
    expect((await s.storage.listBuckets()).data?.map((b) => b.id)).toContain(id);
    expect((await s.storage.updateBucket(id, { public: true })).data).toEqual({ message: 'Successfully updated' });
    expect((await s.storage.getBucket(id)).data?.public).toBe(true);

    const dup = await fetch(`${stackInfo().apiUrl}/storage/v1/bucket`, {
      method: 'POST', headers: { authorization: `Bearer ${stackInfo().serviceRoleKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: id }),
    });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toEqual({ statusCode: '409', code: 'ResourceAlreadyExists', error: 'Duplicate', message: 'The resource already exists' });
    const bad = await s.storage.createBucket('no/slash');
    expect(bad.error?.message).toBe('Bucket name invalid');

    const missing = await fetch(`${stackInfo().apiUrl}/storage/v1/bucket/nope-${id}`, { headers: { authorization: `Bearer ${stackInfo().serviceRoleKey}` } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ statusCode: '404', code: 'NoSuchBucket', error: 'Bucket not found', message: 'Bucket not found' });
  });

  it('refuses to delete a non-empty bucket, empties it, then deletes it', async () => {
    const s = service();
    const id = `del-${randomUUID().slice(0, 8)}`;
    await s.storage.createBucket(id);
    expect((await s.storage.from(id).upload('a/b.txt', Buffer.from('x'), { contentType: 'text/plain' })).error).toBeNull();
    const refused = await s.storage.deleteBucket(id);
    expect(refused.error?.message).toBe('The bucket you tried to delete is not empty');
    expect((await s.storage.emptyBucket(id)).data).toEqual({ message: 'Successfully emptied' });
    expect((await s.storage.deleteBucket(id)).data).toEqual({ message: 'Successfully deleted' });
    expect((await s.storage.getBucket(id)).error?.message).toBe('Bucket not found');
  });

  it('is invisible to anon without a policy on storage.buckets (RLS enabled, no policies)', async () => {
    const listed = await sb().storage.listBuckets();
    expect(listed.error).toBeNull();
    expect(listed.data?.map((b) => b.id)).not.toContain(bucket);
  });
});

describe('objects', () => {
  it('uploads a Buffer and a Blob, downloads them byte for byte', async () => {
    const s = service().storage.from(bucket);
    const up = await s.upload('dir/raw.bin', bytes, { contentType: 'application/octet-stream' });
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path: 'dir/raw.bin', fullPath: `${bucket}/dir/raw.bin` });
    expect(up.data?.id).toMatch(/^[0-9a-f-]{36}$/);
    const blob = await s.upload('dir/blob.txt', new Blob(['hello storage'], { type: 'text/plain' }));
    expect(blob.error).toBeNull();

    const d1 = await s.download('dir/raw.bin');
    expect(Buffer.from(await d1.data!.arrayBuffer())).toEqual(bytes);
    // Binary bytes through multipart (every byte value, CR/LF and boundary-like runs included).
    const binary = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n--x\r\n'), bytes]);
    expect((await s.upload('dir/binary.bin', new Blob([binary]))).error).toBeNull();
    expect(Buffer.from(await (await s.download('dir/binary.bin')).data!.arrayBuffer())).toEqual(binary);
    const d2 = await s.download('dir/blob.txt');
    expect(await d2.data!.text()).toBe('hello storage');
    expect(d2.data!.type).toBe('text/plain');
  });

  it('refuses a second upload of the same path unless upsert', async () => {
    const s = service().storage.from(bucket);
    await s.upload('dup.txt', Buffer.from('one'), { contentType: 'text/plain' });
    const again = await s.upload('dup.txt', Buffer.from('two'), { contentType: 'text/plain' });
    expect(again.error?.message).toBe('The resource already exists');
    expect((await s.upload('dup.txt', Buffer.from('three'), { contentType: 'text/plain', upsert: true })).error).toBeNull();
    expect(await (await s.download('dup.txt')).data!.text()).toBe('three');
    expect((await s.update('dup.txt', Buffer.from('four'), { contentType: 'text/plain' })).error).toBeNull();
    expect(await (await s.download('dup.txt')).data!.text()).toBe('four');
  });

  it('serves HTTP Range requests: 206 with Content-Range, suffix ranges, 416 past the end', async () => {
    const url = `${stackInfo().apiUrl}/storage/v1/object/${bucket}/dir/raw.bin`;
    const auth = { authorization: `Bearer ${stackInfo().serviceRoleKey}` };
    const r = await fetch(url, { headers: { ...auth, range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(r.headers.get('content-length')).toBe('10');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(bytes.subarray(10, 20));
    const suffix = await fetch(url, { headers: { ...auth, range: 'bytes=-5' } });
    expect(suffix.status).toBe(206);
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(bytes.subarray(995));
    const open = await fetch(url, { headers: { ...auth, range: 'bytes=990-' } });
    expect(open.headers.get('content-range')).toBe('bytes 990-999/1000');
    const past = await fetch(url, { headers: { ...auth, range: 'bytes=5000-5010' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    await past.arrayBuffer();
    const whole = await fetch(url, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('access-control-allow-origin')).toBe('*');
    const etag = whole.headers.get('etag');
    await whole.arrayBuffer();
    const cached = await fetch(url, { headers: { ...auth, 'if-none-match': etag ?? '' } });
    expect(cached.status).toBe(304);
    const head = await fetch(url, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('1000');
    expect(head.headers.get('etag')).toBe(etag);
    // HEAD without a token is anon (allowInvalidJwt on Storage): a private object is not found.
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(400);
  });

  it('lists one folder level with folders, paging, sorting and search', async () => {
    const s = service().storage.from(bucket);
    for (const n of ['list/a.txt', 'list/b.txt', 'list/c.txt', 'list/sub/d.txt']) {
      await s.upload(n, Buffer.from(n), { contentType: 'text/plain', upsert: true });
    }
    const all = await s.list('list');
    expect(all.error).toBeNull();
    expect(all.data?.map((o) => o.name)).toEqual(['a.txt', 'b.txt', 'c.txt', 'sub']);
    const folder = all.data?.find((o) => o.name === 'sub');
    expect(folder?.id).toBeNull();
    expect(all.data?.find((o) => o.name === 'a.txt')?.metadata).toMatchObject({ size: 10, mimetype: 'text/plain' });
    expect((await s.list('list', { limit: 2, offset: 1 })).data?.map((o) => o.name)).toEqual(['b.txt', 'c.txt']);
    expect((await s.list('list', { sortBy: { column: 'name', order: 'desc' } })).data?.map((o) => o.name)).toEqual(['sub', 'c.txt', 'b.txt', 'a.txt']);
    expect((await s.list('list', { search: 'b' })).data?.map((o) => o.name)).toEqual(['b.txt']);
    expect((await s.list('list/sub')).data?.map((o) => o.name)).toEqual(['d.txt']);
  });

  it('reports object info and removes objects by path', async () => {
    const s = service().storage.from(bucket);
    await s.upload('rm/one.txt', Buffer.from('1'), { contentType: 'text/plain' });
    await s.upload('rm/two.txt', Buffer.from('22'), { contentType: 'text/plain' });
    const info = await s.info('rm/two.txt');
    expect(info.error).toBeNull();
    expect(info.data).toMatchObject({ name: 'rm/two.txt', size: 2, contentType: 'text/plain', bucketId: bucket });
    const removed = await s.remove(['rm/one.txt', 'rm/two.txt', 'rm/none.txt']);
    expect(removed.error).toBeNull();
    expect(removed.data?.map((o) => o.name).sort()).toEqual(['rm/one.txt', 'rm/two.txt']);
    const gone = await s.download('rm/one.txt');
    expect(gone.error).not.toBeNull();
    const raw = await fetch(`${stackInfo().apiUrl}/storage/v1/object/${bucket}/rm/one.txt`, { headers: { authorization: `Bearer ${stackInfo().serviceRoleKey}` } });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ statusCode: '404', code: 'NoSuchKey', error: 'not_found', message: 'Object not found' });
  });

  it('serves public buckets without a token and private ones never', async () => {
    const s = service().storage;
    await s.from(publicBucket).upload('p/hello.txt', Buffer.from('public hello'), { contentType: 'text/plain' });
    const { data } = s.from(publicBucket).getPublicUrl('p/hello.txt');
    const r = await fetch(data.publicUrl, { headers: { range: 'bytes=7-11' } });
    expect(r.status).toBe(206);
    expect(await r.text()).toBe('hello');
    // Info on a public bucket's object is given to anyone (as Storage's getObjectInfo).
    const info = await sb().storage.from(publicBucket).info('p/hello.txt');
    expect(info.data).toMatchObject({ name: 'p/hello.txt', size: 12, contentType: 'text/plain' });
    const dl = await fetch(`${data.publicUrl}?download=hi%20there.txt`);
    expect(dl.headers.get('content-disposition')).toBe("attachment; filename=hi%20there.txt; filename*=UTF-8''hi%20there.txt;");
    await dl.arrayBuffer();
    const priv = await fetch(s.from(bucket).getPublicUrl('dir/raw.bin').data.publicUrl);
    expect(priv.status).toBe(400);
    expect(await priv.json()).toMatchObject({ statusCode: '404', code: 'NoSuchBucket', message: 'Bucket not found' });
  });

  it('signs URLs that work without a token and only for their object', async () => {
    const s = service().storage.from(bucket);
    const signed = await s.createSignedUrl('dir/blob.txt', 60);
    expect(signed.error).toBeNull();
    const r = await fetch(signed.data!.signedUrl);
    expect(r.status).toBe(200);
    expect(new Date(r.headers.get('expires') ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(await r.text()).toBe('hello storage');
    const bad = await fetch(signed.data!.signedUrl.replace(/token=.*/, 'token=x.y.z'));
    expect(await bad.json()).toMatchObject({ statusCode: '400', code: 'InvalidJWT' });
    const tampered = signed.data!.signedUrl.replace('dir/blob.txt', 'dir/raw.bin');
    const t = await fetch(tampered);
    expect(t.status).toBe(400);
    expect((await t.json()).code).toBe('InvalidSignature');
    expect((await s.createSignedUrl('dir/none.txt', 60)).error?.message).toBe('Object not found');
  });

  it('enforces the bucket size limit and allowed MIME types with Storage error shapes', async () => {
    const s = service().storage.from(publicBucket);
    const big = await fetch(`${stackInfo().apiUrl}/storage/v1/object/${publicBucket}/big.txt`, {
      method: 'POST', headers: { authorization: `Bearer ${stackInfo().serviceRoleKey}`, 'content-type': 'text/plain' },
      body: Buffer.alloc(4096, 97),
    });
    expect(big.status).toBe(400);
    expect(await big.json()).toEqual({ statusCode: '413', code: 'EntityTooLarge', error: 'Payload too large', message: 'The object exceeded the maximum allowed size' });
    const viaSdk = await s.upload('big2.txt', new Blob([Buffer.alloc(4096, 97)], { type: 'text/plain' }));
    expect(viaSdk.error?.message).toBe('The object exceeded the maximum allowed size');
    const mime = await s.upload('img.png', Buffer.from('png'), { contentType: 'image/png' });
    expect(mime.error?.message).toBe('mime type image/png is not supported');
    expect((await s.upload('ok.txt', Buffer.alloc(2048, 97), { contentType: 'text/plain' })).error).toBeNull();
    expect((await s.info('img.png')).error).not.toBeNull();
  });

  it('refuses a missing, malformed, expired or forged JWT as Storage\'s jwt plugin does', async () => {
    const url = `${stackInfo().apiUrl}/storage/v1/object/${bucket}/dir/raw.bin`;
    const bad = await fetch(url, { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message: 'JWS Protected Header is invalid' });
    const none = await fetch(url);
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({ statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message: 'Invalid Compact JWS' });
    const expired = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ role: 'service_role' }, undefined, -120)}` } });
    expect(await expired.json()).toMatchObject({ statusCode: '403', code: 'AccessDenied', message: '"exp" claim timestamp check failed' });
    const forged = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ role: 'service_role' }, 'another-secret-of-at-least-thirty-two-chars')}` } });
    expect(await forged.json()).toMatchObject({ statusCode: '403', code: 'AccessDenied', message: 'signature verification failed' });
    // Object info allows no token (anon): a private object is then simply not found.
    const info = await fetch(`${stackInfo().apiUrl}/storage/v1/object/info/${bucket}/dir/raw.bin`);
    expect(await info.json()).toEqual({ statusCode: '404', code: 'NoSuchKey', error: 'not_found', message: 'Object not found' });
    // A token naming a role the API may not switch to (as PostgREST's authenticator) gets nothing.
    const superuser = await fetch(url, { headers: { authorization: `Bearer ${await signToken({ role: 'postgres' })}` } });
    expect(superuser.status).toBe(400);
    expect(await superuser.json()).toMatchObject({ statusCode: '403', code: 'AccessDenied', message: 'permission denied to set role "postgres"' });
  });
});
