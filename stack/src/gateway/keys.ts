import type { IncomingMessage } from 'node:http';
import type { StackKeys } from '../keys.ts';

/**
 * Kong's key handling on Supabase (supabase/cli internal/start/start.go): opaque
 * sb_secret_/sb_publishable_ keys become the service_role/anon JWTs, both in the
 * apikey (header or query) and as the Bearer token when the request carries no JWT
 * of its own. Legacy JWT apikeys pass through unchanged.
 */
export function mapOpaqueKey(key: string, keys: StackKeys): string {
  if (key === keys.secretKey) return keys.serviceRoleKey;
  if (key === keys.publishableKey) return keys.anonKey;
  return key;
}

/** Header access the key mapping needs, over Node's `req.headers` or a fetch `Headers`. */
interface HeaderAccess {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/**
 * The apikey query parameter mapped in `req.url` (a Request's URL is fixed once built, so this
 * runs on the Node request before the adapter). Returns the (mapped) query key.
 */
function mapQueryKey(req: IncomingMessage, keys: StackKeys): { url: URL; queryKey: string | null } {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const queryKey = url.searchParams.get('apikey');
  if (queryKey !== null && queryKey.startsWith('sb_')) {
    url.searchParams.set('apikey', mapOpaqueKey(queryKey, keys));
    req.url = url.pathname + url.search;
  }
  return { url, queryKey };
}

function mapKeyHeaders(h: HeaderAccess, queryKey: string | null, keys: StackKeys): void {
  const headerKey = h.get('apikey');
  const apikey = headerKey ?? queryKey ?? undefined;
  if (headerKey !== undefined && headerKey.startsWith('sb_')) h.set('apikey', mapOpaqueKey(headerKey, keys));
  const auth = h.get('authorization');
  const bearerIsOpaque = auth !== undefined && /^bearer sb_/i.test(auth);
  if (auth === undefined || bearerIsOpaque) {
    const source = apikey ?? (bearerIsOpaque ? auth.slice(7).trim() : undefined);
    if (source !== undefined && source !== '') h.set('authorization', `Bearer ${mapOpaqueKey(source, keys)}`);
  }
}

/** Node mounts and upgrades: query and headers mapped on the IncomingMessage. */
export function normalizeApiKeyHeaders(req: IncomingMessage, keys: StackKeys): void {
  const { queryKey } = mapQueryKey(req, keys);
  mapKeyHeaders({
    get: (name) => { const v = req.headers[name]; return typeof v === 'string' ? v : undefined; },
    set: (name, value) => { req.headers[name] = value; },
  }, queryKey, keys);
}

/** Fetch mounts: the query on the Node request (before the adapter builds the Request)… */
export function normalizeApiKeyQuery(req: IncomingMessage, keys: StackKeys): string | null {
  return mapQueryKey(req, keys).queryKey;
}

/** …and the headers on the Request the mount gets. */
export function normalizeApiKeyRequestHeaders(headers: Headers, queryKey: string | null, keys: StackKeys): void {
  mapKeyHeaders({ get: (name) => headers.get(name) ?? undefined, set: (name, value) => headers.set(name, value) }, queryKey, keys);
}
