/**
 * The dashboard's Content-Security-Policy: its own origin, the API (HTTP and its
 * WebSocket; the same origin when the stack serves the page, the project URL on a static
 * host), and the configured map styles' origins (style-origins.ts) for fetches and images.
 * MapLibre 6 loads its worker as a module file of our origin, so worker-src 'self' (no blob:).
 * `styleSources`: the after-action report's inline style by hash (after-action/report-style-hash.ts).
 * Sent by the stack (stack/src/dashboard/service.ts) and printed for static hosts (tools/map-csp).
 */
export function dashboardCsp(api: readonly string[], mapOrigins: readonly string[], styleSources: readonly string[] = []): string {
  const extra = mapOrigins.map((o) => ` ${o}`).join('');
  return [
    "default-src 'self'",
    `connect-src 'self' ${api.join(' ')}${extra}`,
    `img-src 'self' data: blob:${extra}`,
    "worker-src 'self'",
    ["style-src 'self'", ...styleSources].join(' '),
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
