import { createHash, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { parseUpload, readBody, readJson } from './body.ts';
import { json, ownerOf, type RouteRequest, type StorageContext } from './context.ts';
import { sendObject, type ObjectMetadata } from './download.ts';
import {
  badRequest, entityTooLarge, invalidJwt, invalidKey, invalidMimeType, invalidSignature, noSuchBucket, noSuchKey,
} from './errors.ts';
import { mimeAllowed } from './limits.ts';
import type { Queryable } from '../postgres/internal-db.ts';

/**
 * `/object` routes as Supabase Storage answers them (src/http/routes/object/*.ts).
 * Metadata queries run as the request's role (RLS on storage.objects decides); public
 * and signed reads look the object up as the superuser, as Storage does.
 */

interface ObjectRow { id: string; metadata: ObjectMetadata }

const OBJECT_COLUMNS = 'id, name, bucket_id, owner, owner_id, version, created_at, updated_at, last_accessed_at, metadata, user_metadata';
/** Slack over the size limit for a multipart envelope (boundaries and fields). */
const MULTIPART_SLACK = 64 * 1024;

/** Storage's key check: a name, no control characters. */
function checkKey(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) throw invalidKey(name);
}

export async function uploadObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string, upsert: boolean): Promise<Response> {
  checkKey(name);
  const auth = await r.auth();
  const buckets = await ctx.db.asSuperUser((su) => su<{ file_size_limit: string | null; allowed_mime_types: string[] | null }>`
    select file_size_limit, allowed_mime_types from storage.buckets where id = ${bucketId}`);
  const bucket = buckets[0];
  if (!bucket) throw noSuchBucket();
  const bucketLimit = bucket.file_size_limit === null ? Infinity : Number(bucket.file_size_limit);
  const limit = Math.min(ctx.settings.fileSizeLimit, bucketLimit);
  const multipart = /^multipart\/form-data/i.test(r.request.headers.get('content-type') ?? '');
  const raw = await readBody(r.request, multipart ? limit + MULTIPART_SLACK : limit);
  const upload = await parseUpload(r.request, raw);
  if (upload.bytes.length > limit) throw entityTooLarge();
  if (!mimeAllowed(upload.mimetype, bucket.allowed_mime_types)) throw invalidMimeType(upload.mimetype);

  const md: ObjectMetadata = {
    eTag: `"${createHash('md5').update(upload.bytes).digest('hex')}"`,
    size: upload.bytes.length,
    mimetype: upload.mimetype,
    cacheControl: upload.cacheControl,
    lastModified: new Date().toUTCString(),
    contentLength: upload.bytes.length,
    httpStatusCode: 200,
  };
  const { owner, ownerId } = ownerOf(auth);
  const version = randomUUID();
  const id = await ctx.db.as(auth, async (tx) => {
    let objectId: string = randomUUID();
    if (upsert) {
      // Overwriting needs SELECT and UPDATE policies, as on Storage.
      const rows = await tx<{ id: string }>`insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, user_metadata, version)
        values (${objectId}, ${bucketId}, ${name}, ${owner}, ${ownerId}, ${md}, ${upload.userMetadata}, ${version})
        on conflict (bucket_id, name) do update set owner = excluded.owner, owner_id = excluded.owner_id, metadata = excluded.metadata,
          user_metadata = excluded.user_metadata, version = excluded.version, updated_at = now(), last_accessed_at = now()
        returning id`;
      objectId = rows[0]?.id ?? objectId;
    } else {
      // A plain insert needs only an INSERT policy (no RETURNING: that would also need SELECT).
      await tx`insert into storage.objects (id, bucket_id, name, owner, owner_id, metadata, user_metadata, version)
        values (${objectId}, ${bucketId}, ${name}, ${owner}, ${ownerId}, ${md}, ${upload.userMetadata}, ${version})`;
    }
    await ctx.files.write(objectId, upload.bytes);
    return objectId;
  });
  return json(200, { Id: id, Key: `${bucketId}/${name}` });
}

async function findVisible(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<ObjectRow> {
  const rows = await ctx.db.as(await r.auth(), (tx) => tx<ObjectRow>`
    select id, metadata from storage.objects where bucket_id = ${bucketId} and name = ${name}`);
  if (!rows[0]) throw noSuchKey();
  return rows[0];
}

export async function getObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const row = await findVisible(ctx, r, bucketId, name);
  return sendObject(r.request, ctx.files, row.id, row.metadata, r.query);
}

export async function getPublicObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const row = await ctx.db.asSuperUser(async (su) => {
    const b = await su`select 1 from storage.buckets where id = ${bucketId} and public`;
    if (!b[0]) throw noSuchBucket();
    return (await su<ObjectRow>`select id, metadata from storage.objects where bucket_id = ${bucketId} and name = ${name}`)[0];
  });
  if (!row) throw noSuchKey();
  return sendObject(r.request, ctx.files, row.id, row.metadata, r.query);
}

type DescribedRow = ObjectRow & Record<string, unknown>;

/**
 * The object as Storage's getObjectInfo finds it (HEAD and info routes): the bucket looked
 * up as the superuser; an object of a public bucket is described to anyone, others only if
 * RLS lets the caller see them.
 */
async function describe(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<DescribedRow> {
  const bucket = (await ctx.db.asSuperUser((su) => su<{ public: boolean }>`select public from storage.buckets where id = ${bucketId}`))[0];
  if (!bucket) throw noSuchBucket();
  const find = (q: Queryable): Promise<DescribedRow[]> => q<DescribedRow>`
    select id, name, version, bucket_id, created_at, updated_at, metadata, user_metadata from storage.objects where bucket_id = ${bucketId} and name = ${name}`;
  const rows = bucket.public ? await ctx.db.asSuperUser(find) : await ctx.db.as(await r.auth(), find);
  if (!rows[0]) throw noSuchKey();
  return rows[0];
}

/** GET /object/info/{bucket}/{path}: Storage's InfoRenderer body. */
export async function getObjectInfo(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const o = await describe(ctx, r, bucketId, name);
  return json(200, {
    id: o.id, name: o.name, version: o.version, bucket_id: o.bucket_id, size: o.metadata.size,
    content_type: o.metadata.mimetype, cache_control: o.metadata.cacheControl, etag: o.metadata.eTag,
    metadata: o.user_metadata, last_modified: o.updated_at, created_at: o.created_at,
  }, { 'cache-control': 'no-cache' });
}

/** HEAD /object/{bucket}/{path} and /object/authenticated/…: the download's headers, no body. */
export async function headObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const o = await describe(ctx, r, bucketId, name);
  return sendObject(r.request, ctx.files, o.id, o.metadata, r.query);
}

function intField(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback;
}

export async function listObjects(ctx: StorageContext, r: RouteRequest, bucketId: string): Promise<Response> {
  const body = await readJson(r.request);
  let prefix = typeof body.prefix === 'string' ? body.prefix : '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  const levels = prefix.split('/').length;
  const sortBy = typeof body.sortBy === 'object' && body.sortBy !== null ? body.sortBy as Record<string, unknown> : {};
  const rows = await ctx.db.as(await r.auth(), (tx) => tx`
    select * from storage.search(${prefix}, ${bucketId}, ${intField(body.limit, 100)}, ${levels}, ${intField(body.offset, 0)},
      ${typeof body.search === 'string' ? body.search : ''}, ${typeof sortBy.column === 'string' ? sortBy.column : 'name'},
      ${typeof sortBy.order === 'string' ? sortBy.order : 'asc'})`);
  return json(200, rows);
}

export async function deleteObjects(ctx: StorageContext, r: RouteRequest, bucketId: string): Promise<Response> {
  const body = await readJson(r.request);
  const prefixes = body.prefixes;
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string')) throw badRequest("body must have required property 'prefixes'");
  if (prefixes.length < 1) throw badRequest('body/prefixes must NOT have fewer than 1 items');
  if (prefixes.length > 1000) throw badRequest('body/prefixes must NOT have more than 1000 items');
  // DELETE … RETURNING: removing needs DELETE and SELECT policies, as on Storage.
  const rows = await ctx.db.as(await r.auth(), (tx) => tx.unsafe<{ id: string }>(
    `delete from storage.objects where bucket_id = $1 and name = any($2::text[]) returning ${OBJECT_COLUMNS}`, [bucketId, prefixes]));
  await ctx.files.remove(rows.map((o) => o.id));
  return json(200, rows);
}

export async function deleteObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const rows = await ctx.db.as(await r.auth(), (tx) => tx<{ id: string }>`
    delete from storage.objects where bucket_id = ${bucketId} and name = ${name} returning id`);
  if (!rows[0]) throw noSuchKey();
  await ctx.files.remove(rows.map((o) => o.id));
  return json(200, { message: 'Successfully deleted' });
}

/** POST /object/sign/{bucket}/{path}: a JWT `{url, iat, exp}` signed with the project's secret. */
export async function signObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const body = await readJson(r.request);
  const expiresIn = body.expiresIn;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 1) throw badRequest('body/expiresIn must be >= 1');
  await findVisible(ctx, r, bucketId, name);
  const url = `${bucketId}/${name}`;
  const token = await new SignJWT({ url }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.floor(expiresIn)).sign(ctx.jwtSecret);
  return json(200, { signedURL: `/object/sign/${url}?token=${token}` });
}

/** GET /object/sign/{bucket}/{path}?token=…: the object, for whoever holds a valid token. */
export async function getSignedObject(ctx: StorageContext, r: RouteRequest, bucketId: string, name: string): Promise<Response> {
  const token = r.query.get('token');
  if (!token) throw badRequest("querystring must have required property 'token'");
  let url: unknown;
  let exp: number | undefined;
  try {
    ({ payload: { url, exp } } = await jwtVerify(token, ctx.jwtSecret, { algorithms: ['HS256', 'HS384', 'HS512'] }));
  } catch (e) {
    // getSignedObject: `StorageBackendError('Invalid JWT', 400, err.message)`.
    throw invalidJwt(e instanceof Error ? e.message : String(e));
  }
  if (url !== `${bucketId}/${name}`) throw invalidSignature('The url do not match the signature');
  const row = (await ctx.db.asSuperUser((su) => su<ObjectRow>`
    select id, metadata from storage.objects where bucket_id = ${bucketId} and name = ${name}`))[0];
  if (!row) throw noSuchKey();
  return sendObject(r.request, ctx.files, row.id, row.metadata, r.query, exp === undefined ? undefined : new Date(exp * 1000));
}
