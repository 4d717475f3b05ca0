/**
 * GoTrue's own CORS middleware on an actual (non-preflight) request, as supabase/auth's
 * api.go configures rs/cors: origins `http://*` / `https://*`, credentials allowed, exposed
 * `X-Total-Count, Link, X-Supabase-Api-Version` — the last is what lets auth-js in a browser
 * read the API version and so the error `code`. Behind the gateway its
 * Access-Control-Allow-Origin is overwritten with `*` (Kong's cors plugin, gateway/cors.ts),
 * and preflights never get here.
 */
export function gotrueCorsHeaders(headers: Headers): Record<string, string> {
  const origin = headers.get('origin');
  if (origin === null || !/^https?:\/\//i.test(origin)) return {};
  return {
    'Vary': 'Origin',
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Expose-Headers': 'X-Total-Count, Link, X-Supabase-Api-Version',
  };
}
