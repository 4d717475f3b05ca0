/**
 * The origins the dashboard's CSP admits besides its own: those of every MapLibre style
 * an org has configured (org_settings.map.basemap, kind "style") — the style itself and
 * its glyphs, sprites, sources and their TileJSONs' tiles (dashboard/src/style-origins.ts).
 * Read per page load (a small query); each style's origins are remembered for a minute
 * so a page load does not wait on a tile server. A style that cannot be fetched
 * contributes its own origin only (the map then reports the failure).
 */
import type { Logger } from '../log.ts';
import type { Queryable } from '../postgres/internal-db.ts';
import { fetchStyleOrigins } from '../../../dashboard/src/style-origins.ts';

const TTL_MS = 60_000;

export function createMapOrigins(db: Queryable, log: Logger): { origins(): Promise<string[]> } {
  const cache = new Map<string, { at: number; origins: string[] }>();
  return {
    async origins() {
      const rows = await db<{ url: string }>`
        select distinct map->'basemap'->>'url' as url from public.org_settings
        where map->'basemap'->>'kind' = 'style' and map->'basemap'->>'url' is not null`;
      const out = new Set<string>();
      await Promise.all(rows.map(async ({ url }) => {
        let hit = cache.get(url);
        if (!hit || Date.now() - hit.at > TTL_MS) {
          const origins = await fetchStyleOrigins(url).catch((e: unknown) => {
            log.warn('map style not readable for the CSP; admitting its own origin only', { url, error: e instanceof Error ? e.message : String(e) });
            try { return [new URL(url).origin]; } catch { return []; }
          });
          hit = { at: Date.now(), origins };
          cache.set(url, hit);
        }
        hit.origins.forEach((o) => out.add(o));
      }));
      return [...out].sort();
    },
  };
}
