import path from 'node:path';
import { createInternalDb } from '../postgres/internal-db.ts';
import { jwtVerify } from 'jose';
import type { AuthResult } from '../rest/auth.ts';
import type { Json } from '../rest/errors.ts';
import { authenticatorUrl } from '../rest/service.ts';
import type { ServiceFactory } from '../service-types.ts';
import { createBucket, deleteBucket, emptyBucket, getBucket, listBuckets, updateBucket } from './buckets.ts';
import { json, type RouteRequest, type StorageContext } from './context.ts';
import { StorageDb } from './db.ts';
import { accessDenied, StorageError } from './errors.ts';
import { FileStore } from './files.ts';
import { loadStorageSettings } from './limits.ts';
import {
  deleteObject, deleteObjects, getObject, getObjectInfo, getPublicObject, getSignedObject, headObject, listObjects, signObject,
  uploadObject,
} from './objects.ts';
import { route } from './routes.ts';

/**
 * `/storage/v1`: the subset of Supabase Storage (supabase/storage) the product needs —
 * buckets, upload, download with Range, list, remove, info, signed URLs — with object
 * metadata in storage.objects under RLS and the bytes on disk next to the database.
 */

/** Where object bytes live: beside the PostgreSQL data directory (`<data>/postgres` → `<data>/storage`). */
export function storageDirFor(pgDataDir: string): string {
  return process.env.HOTWATCH_STORAGE_DIR ?? path.join(path.dirname(pgDataDir), 'storage');
}

export const startStorage: ServiceFactory = async (sctx) => {
  const settings = loadStorageSettings();
  const files = new FileStore(storageDirFor(sctx.config.dataDir));
  await files.init();
  const db = new StorageDb(createInternalDb(authenticatorUrl(sctx.dbUrl), sctx.log, { max: 4, applicationName: 'storage-api' }));
  const ctx: StorageContext = { db, files, settings, jwtSecret: new TextEncoder().encode(sctx.config.keys.jwtSecret) };
  /**
   * Storage's jwt plugin (src/http/plugins/jwt.ts + internal/auth/jwt-jose.ts): the Bearer
   * token is verified with jose; a missing or bad one is `AccessDenied` with jose's message
   * (`Invalid Compact JWS`, `"exp" claim timestamp check failed`, …), except on routes that
   * allow it (object info, HEAD /object/{bucket}/{path}), where the caller is anon. The role is the token's `role` claim.
   */
  const authOf = (request: Request, allowInvalid: boolean) => async (): Promise<AuthResult> => {
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
    const anon: AuthResult = { role: 'anon', claims: { role: 'anon' }, authed: false };
    if (token === '' && allowInvalid) return anon;
    let claims: Record<string, Json>;
    try {
      ({ payload: claims } = await jwtVerify<Record<string, Json>>(token, ctx.jwtSecret, { algorithms: ['HS256', 'HS384', 'HS512'] }));
    } catch (e) {
      if (allowInvalid) return anon;
      throw accessDenied(e instanceof Error ? e.message : String(e));
    }
    const role = typeof claims.role === 'string' ? claims.role : 'anon';
    return { role, claims: { ...claims, role }, authed: role !== 'anon' };
  };

  /** Request → Storage's answer; an unread request body is drained by the gateway's adapter. */
  async function fetch(request: Request, subpath: string): Promise<Response> {
    try {
      const m = route(request.method, subpath);
      if (!m) return json(404, { statusCode: 404, error: 'Not Found', message: `Route ${request.method}:/storage/v1${subpath} not found` });
      const r: RouteRequest = { request, auth: authOf(request, m.name === 'getObjectInfo' || m.name === 'headObject'), query: new URL(request.url).searchParams };
      const { b = '', k = '' } = m.params;
      switch (m.name) {
        case 'listBuckets': return await listBuckets(ctx, r);
        case 'getBucket': return await getBucket(ctx, r, b);
        case 'createBucket': return await createBucket(ctx, r);
        case 'updateBucket': return await updateBucket(ctx, r, b);
        case 'emptyBucket': return await emptyBucket(ctx, r, b);
        case 'deleteBucket': return await deleteBucket(ctx, r, b);
        case 'listObjects': return await listObjects(ctx, r, b);
        case 'signObject': return await signObject(ctx, r, b, k);
        case 'getSignedObject': return await getSignedObject(ctx, r, b, k);
        case 'getObjectInfo': return await getObjectInfo(ctx, r, b, k);
        case 'headObject':
        case 'headAuthenticatedObject': return await headObject(ctx, r, b, k);
        case 'getPublicObject': return await getPublicObject(ctx, r, b, k);
        case 'getObject': return await getObject(ctx, r, b, k);
        case 'createObject': return await uploadObject(ctx, r, b, k, request.headers.get('x-upsert') === 'true');
        case 'updateObject': return await uploadObject(ctx, r, b, k, true);
        case 'deleteObjects': return await deleteObjects(ctx, r, b);
        case 'deleteObject': return await deleteObject(ctx, r, b, k);
      }
    } catch (e) {
      const err = e instanceof StorageError ? e : new StorageError(500, 'InternalError', e instanceof Error ? e.message : String(e));
      if (err.httpStatus >= 500) sctx.log.warn('storage error', { error: e instanceof Error ? e.stack ?? e.message : String(e) });
      return json(err.httpStatus, err.render());
    }
  }

  return {
    name: 'storage',
    mounts: [{ prefix: '/storage/v1', fetch }],
    async stop() { await db.end(); },
  };
};
