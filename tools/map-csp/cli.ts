/**
 * Prints the dashboard's Content-Security-Policy for a static host (hosted Supabase serves
 * no dashboard): the project's API origin for fetch and Realtime, plus the origins of
 * every MapLibre style an org has configured as its basemap (org_settings.map, read over
 * REST with the service role key; dashboard/src/style-origins.ts). Put its output in the
 * host's header config for index.html and assets/maplibre-gl-worker-*.mjs; run it again
 * when an admin adds a style URL on a new origin. docs/dashboard.md "Content-Security-Policy".
 *
 *   SUPABASE_URL=https://<ref>.supabase.co SUPABASE_SERVICE_ROLE_KEY=… node --import tsx tools/map-csp/cli.ts
 */
import { fileURLToPath } from 'node:url';
import { REPORT_STYLE_SOURCE } from '../../after-action/report-style-hash.ts';
import { dashboardCsp } from '../../dashboard/src/csp.ts';
import { fetchStyleOrigins } from '../../dashboard/src/style-origins.ts';

async function main(): Promise<void> {
  const url = process.env.SUPABASE_URL;
  const key = process.env.SUPABASE_SERVICE_ROLE_KEY;
  if (!url || !key) throw new Error('Set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY.');
  const res = await fetch(`${url}/rest/v1/org_settings?select=map&map->basemap->>kind=eq.style`, { headers: { apikey: key, authorization: `Bearer ${key}` } });
  if (!res.ok) throw new Error(`org_settings: HTTP ${res.status} ${await res.text()}`);
  const rows = (await res.json()) as Array<{ map: { basemap?: { url?: string } } }>;
  const urls = [...new Set(rows.map((r) => r.map.basemap?.url).filter((u): u is string => typeof u === 'string'))];
  const origins = new Set<string>();
  for (const u of urls) {
    for (const o of await fetchStyleOrigins(u, { timeoutMs: 10_000 }).catch((e: unknown) => {
      console.error(`warning: ${u}: ${e instanceof Error ? e.message : String(e)} — admitting its own origin only`);
      return [new URL(u).origin];
    })) origins.add(o);
  }
  const api = new URL(url);
  const ws = `${api.protocol === 'https:' ? 'wss' : 'ws'}://${api.host}`;
  console.log(`Content-Security-Policy: ${dashboardCsp([api.origin, ws], [...origins].sort(), [REPORT_STYLE_SOURCE])}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : String(e)); process.exit(1); });
}
