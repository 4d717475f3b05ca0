/**
 * Supabase Storage's error answers (supabase/storage src/internal/errors/codes.ts,
 * storage-error.ts, src/http/error-handler.ts): the body is
 * `{statusCode: "<status as text>", code, error, message}` where `error` is the
 * legacy name (or the code when there is none), and the HTTP status is 400 for every
 * error but a 500 — a missing object is HTTP 400 with `"statusCode":"404"`.
 * Database errors map as DBError.fromDBError does (src/storage/database/knex.ts).
 */

export interface StorageErrorBody {
  statusCode: string;
  code: string;
  error: string;
  message: string;
}

export class StorageError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly legacy?: string) {
    super(message);
  }

  /** The HTTP status Storage answers with (userStatusCode). */
  get httpStatus(): number { return this.status === 500 ? 500 : 400; }

  render(): StorageErrorBody {
    return { statusCode: String(this.status), code: this.code, error: this.legacy ?? this.code, message: this.message };
  }
}

export const noSuchBucket = (): StorageError => new StorageError(404, 'NoSuchBucket', 'Bucket not found', 'Bucket not found');
/** The renderer's answer when the backend has no bytes for a known object. */
export const resourceNotFound = (): StorageError => new StorageError(404, 'NoSuchKey', 'The resource was not found', 'Not found');
export const noSuchKey = (): StorageError => new StorageError(404, 'NoSuchKey', 'Object not found', 'not_found');
export const accessDenied = (message: string): StorageError => new StorageError(403, 'AccessDenied', message || 'Access denied', 'Unauthorized');
export const alreadyExists = (): StorageError => new StorageError(409, 'ResourceAlreadyExists', 'The resource already exists', 'Duplicate');
export const bucketNotEmpty = (): StorageError => new StorageError(409, 'ResourceNotEmpty', 'The bucket you tried to delete is not empty');
export const invalidBucketName = (): StorageError => new StorageError(400, 'InvalidBucketName', 'Bucket name invalid', 'Invalid Input');
export const invalidKey = (key: string): StorageError => new StorageError(400, 'InvalidKey', `Invalid key: ${key}`);
export const invalidMimeType = (mime: string): StorageError => new StorageError(415, 'InvalidMimeType', `mime type ${mime} is not supported`, 'invalid_mime_type');
export const entityTooLarge = (entity = 'object'): StorageError =>
  new StorageError(413, 'EntityTooLarge', `The ${entity} exceeded the maximum allowed size`, 'Payload too large');
export const invalidRange = (): StorageError => new StorageError(416, 'InvalidRange', 'invalid range provided', 'invalid_range');
export const invalidFileSizeLimit = (): StorageError =>
  new StorageError(400, 'InvalidRequest', 'Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B');
export const invalidSignature = (message = 'Invalid signature'): StorageError => new StorageError(400, 'InvalidSignature', message);
export const invalidJwt = (message: string): StorageError => new StorageError(400, 'InvalidJWT', message || 'Invalid JWT', 'Invalid JWT');
export const noContent = (): StorageError => new StorageError(400, 'InvalidRequest', 'No content provided');
export const internalError = (message = 'Internal server error'): StorageError => new StorageError(500, 'InternalError', message);
/** Fastify's schema validation answer (`{statusCode:"400", error:"Bad Request", message}`), code as Storage adds it. */
export const badRequest = (message: string): StorageError => new StorageError(400, 'InvalidRequest', message, 'Bad Request');

interface PgLikeError { code?: string; message: string }

function isPgError(e: unknown): e is PgLikeError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((e as unknown as { code: string }).code);
}

/** DBError.fromDBError: 42501 → AccessDenied, 23505 → ResourceAlreadyExists, 23503 → related resource. */
export function fromDbError(e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  if (!isPgError(e)) return internalError(e instanceof Error ? e.message : String(e));
  switch (e.code) {
    case '42501':
      return accessDenied(e.message.includes('row-level security') ? 'new row violates row-level security policy' : e.message);
    case '23505': return alreadyExists();
    case '23503': return new StorageError(404, 'InvalidRequest', 'The related resource does not exist');
    default: return new StorageError(500, 'DatabaseError', e.message);
  }
}
