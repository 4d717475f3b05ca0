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

export function normalizeApiKeyHeaders(req: IncomingMessage, keys: StackKeys): void {
  const url = new URL(req.url ?? '/', 'http://gateway');
  const headerKey = req.headers.apikey;
  const queryKey = url.searchParams.get('apikey');
  const apikey = typeof headerKey === 'string' ? headerKey : queryKey ?? undefined;

  if (queryKey !== null && queryKey.startsWith('sb_')) {
    url.searchParams.set('apikey', mapOpaqueKey(queryKey, keys));
    req.url = url.pathname + url.search;
  }
  if (typeof headerKey === 'string' && headerKey.startsWith('sb_')) req.headers.apikey = mapOpaqueKey(headerKey, keys);

  const auth = req.headers.authorization;
  const bearerIsOpaque = typeof auth === 'string' && /^bearer sb_/i.test(auth);
  if (auth === undefined || bearerIsOpaque) {
    const source = apikey ?? (bearerIsOpaque ? auth.slice(7).trim() : undefined);
    if (source !== undefined && source !== '') req.headers.authorization = `Bearer ${mapOpaqueKey(source, keys)}`;
  }
}
