import type { AuthResult } from '../rest/auth.ts';
import type { StorageDb } from './db.ts';
import type { FileStore } from './files.ts';
import type { StorageSettings } from './limits.ts';

/** What every Storage route handler gets. */
export interface StorageContext {
  db: StorageDb;
  files: FileStore;
  settings: StorageSettings;
  /** HMAC secret of the project's JWTs (signed URLs are signed with it, as Storage does). */
  jwtSecret: Uint8Array;
}

export interface RouteRequest {
  request: Request;
  /** The request's role and claims (anon when the route is public). */
  auth: () => Promise<AuthResult>;
  query: URLSearchParams;
}

/** Storage's JSON answers (the gateway's adapter sets Content-Length). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}

/** storage.objects `owner` (a uuid) and `owner_id` (text) from the JWT's `sub`. */
export function ownerOf(auth: AuthResult): { owner: string | null; ownerId: string | null } {
  const sub = typeof auth.claims.sub === 'string' ? auth.claims.sub : null;
  const isUuid = sub !== null && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub);
  return { owner: isUuid ? sub : null, ownerId: sub };
}
