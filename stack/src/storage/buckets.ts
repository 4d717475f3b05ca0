import { readJson } from './body.ts';
import { json, ownerOf, type RouteRequest, type StorageContext } from './context.ts';
import { accessDenied, badRequest, bucketNotEmpty, invalidBucketName, noSuchBucket } from './errors.ts';
import { bucketSizeLimit, checkAllowedMimeTypes } from './limits.ts';

/**
 * `/bucket` routes as Supabase Storage answers them (src/http/routes/bucket/*.ts): run as
 * the request's role, so RLS on storage.buckets decides (service_role bypasses it).
 */

// file_size_limit is a bigint; Storage's response schema serialises it as a JSON integer.
const BUCKET_COLUMNS = 'id, name, owner, owner_id, public, type, file_size_limit::float8 as file_size_limit, allowed_mime_types, created_at, updated_at';

/** Storage's isValidBucketName. */
export function isValidBucketName(name: string): boolean {
  return name.length > 0 && name.length <= 100 && name.trim() === name && /^(\w|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?)*$/.test(name);
}

function mimeTypes(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) throw badRequest('body/allowed_mime_types must be array');
  checkAllowedMimeTypes(v);
  return v.length === 0 ? null : v;
}

export async function listBuckets(ctx: StorageContext, r: RouteRequest): Promise<Response> {
  const limit = Number(r.query.get('limit') ?? '1000');
  const offset = Number(r.query.get('offset') ?? '0');
  const search = r.query.get('search') ?? '';
  const rows = await ctx.db.as(await r.auth(), (tx) => tx.unsafe(
    `select ${BUCKET_COLUMNS} from storage.buckets where name ilike '%' || $1 || '%' order by name collate "C" limit $2 offset $3`,
    [search, Number.isFinite(limit) ? limit : 1000, Number.isFinite(offset) ? offset : 0]));
  return json(200, rows);
}

export async function getBucket(ctx: StorageContext, r: RouteRequest, id: string): Promise<Response> {
  const rows = await ctx.db.as(await r.auth(), (tx) => tx.unsafe(`select ${BUCKET_COLUMNS} from storage.buckets where id = $1`, [id]));
  if (!rows[0]) throw noSuchBucket();
  return json(200, rows[0]);
}

export async function createBucket(ctx: StorageContext, r: RouteRequest): Promise<Response> {
  const body = await readJson(r.request);
  if (typeof body.name !== 'string') throw badRequest("body must have required property 'name'");
  const id = typeof body.id === 'string' ? body.id : body.name;
  if (!isValidBucketName(id) || !isValidBucketName(body.name)) throw invalidBucketName();
  const auth = await r.auth();
  const { owner, ownerId } = ownerOf(auth);
  await ctx.db.as(auth, (tx) => tx`insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
    values (${id}, ${body.name}, ${owner}, ${ownerId}, ${body.public === true}, ${bucketSizeLimit(body.file_size_limit, ctx.settings.fileSizeLimit)}, ${mimeTypes(body.allowed_mime_types)})`);
  return json(200, { name: id });
}

export async function updateBucket(ctx: StorageContext, r: RouteRequest, id: string): Promise<Response> {
  const body = await readJson(r.request);
  const sets: string[] = [];
  const values: unknown[] = [id];
  const set = (col: string, v: unknown): void => { values.push(v); sets.push(`${col} = $${values.length}`); };
  if (body.public !== undefined) set('public', body.public === true);
  if (body.file_size_limit !== undefined) set('file_size_limit', bucketSizeLimit(body.file_size_limit, ctx.settings.fileSizeLimit));
  if (body.allowed_mime_types !== undefined) set('allowed_mime_types', mimeTypes(body.allowed_mime_types));
  sets.push('updated_at = now()');
  const rows = await ctx.db.as(await r.auth(), (tx) => tx.unsafe(`update storage.buckets set ${sets.join(', ')} where id = $1 returning id`, values));
  if (!rows[0]) throw noSuchBucket();
  return json(200, { message: 'Successfully updated' });
}

/**
 * Storage's emptyBucket: the bucket must be visible; every object the caller can see is
 * deleted, and objects it sees but may not delete are an AccessDenied naming them.
 */
export async function emptyBucket(ctx: StorageContext, r: RouteRequest, id: string): Promise<Response> {
  const ids = await ctx.db.as(await r.auth(), async (tx) => {
    const b = await tx`select id from storage.buckets where id = ${id}`;
    if (!b[0]) throw noSuchBucket();
    const seen = await tx<{ id: string; name: string }>`select id, name from storage.objects where bucket_id = ${id}`;
    const gone = await tx<{ id: string; name: string }>`delete from storage.objects where bucket_id = ${id} and id = any(${seen.map((o) => o.id)}::uuid[]) returning id, name`;
    if (gone.length !== seen.length) {
      const deleted = new Set(gone.map((o) => o.name));
      const kept = seen.filter((o) => !deleted.has(o.name)).map((o) => o.name);
      throw accessDenied(`Cannot delete: ${kept.join(' ,')}, you may have SELECT but not DELETE permissions`);
    }
    return gone.map((o) => o.id);
  });
  await ctx.files.remove(ids);
  return json(200, { message: 'Successfully emptied' });
}

/** Storage's deleteBucket: looked up and counted as the superuser, deleted as the caller (RLS). */
export async function deleteBucket(ctx: StorageContext, r: RouteRequest, id: string): Promise<Response> {
  await ctx.db.asSuperUser(async (su) => {
    if (!(await su`select id from storage.buckets where id = ${id}`)[0]) throw noSuchBucket();
    if ((await su`select 1 from storage.objects where bucket_id = ${id} limit 1`)[0]) throw bucketNotEmpty();
  });
  const gone = await ctx.db.as(await r.auth(), (tx) => tx`delete from storage.buckets where id = ${id} returning id`);
  if (!gone[0]) throw noSuchBucket();
  return json(200, { message: 'Successfully deleted' });
}
