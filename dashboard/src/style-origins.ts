/**
 * The origins a MapLibre style makes the page talk to: the style's own, its glyphs,
 * sprite(s) and every source's `url` (a TileJSON, fetched) and `tiles`/`data` URLs.
 * styleOrigins/tileJsonOrigins are pure; fetchStyleOrigins fetches the style and the
 * TileJSONs it names. Used to write the dashboard's Content-Security-Policy (the stack
 * computes it per page load; tools/map-csp.ts prints it for a static host). `pmtiles://` URLs name
 * the archive's origin after the scheme.
 */
export interface StyleRefs {
  /** Origins found so far. */
  origins: Set<string>;
  /** TileJSON URLs the style's sources point at: fetch them and pass them to tileJsonOrigins. */
  tileJsons: string[];
}

function originOf(u: unknown, base: string): string | null {
  if (typeof u !== 'string' || u === '') return null;
  const raw = u.startsWith('pmtiles://') ? u.slice('pmtiles://'.length) : u;
  try {
    const url = new URL(raw.replace(/\{[^}]*\}/g, '0'), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

export function styleOrigins(style: unknown, styleUrl: string): StyleRefs {
  const origins = new Set<string>();
  const tileJsons: string[] = [];
  const add = (u: unknown): void => { const o = originOf(u, styleUrl); if (o) origins.add(o); };
  add(styleUrl);
  const s = (style && typeof style === 'object' ? style : {}) as { glyphs?: unknown; sprite?: unknown; sources?: Record<string, unknown> };
  add(s.glyphs);
  if (Array.isArray(s.sprite)) for (const sp of s.sprite) add((sp as { url?: unknown })?.url);
  else add(s.sprite);
  for (const src of Object.values(s.sources ?? {})) {
    const o = (src && typeof src === 'object' ? src : {}) as { url?: unknown; tiles?: unknown; data?: unknown; urls?: unknown };
    if (typeof o.url === 'string') {
      add(o.url);
      if (!o.url.startsWith('pmtiles://')) {
        const abs = originOf(o.url, styleUrl) ? new URL(o.url, styleUrl).href : null;
        if (abs) tileJsons.push(abs);
      }
    }
    if (Array.isArray(o.tiles)) o.tiles.forEach(add);
    if (Array.isArray(o.urls)) o.urls.forEach(add);
    if (typeof o.data === 'string') add(o.data);
  }
  return { origins, tileJsons };
}

/** The tile origins a TileJSON document names. */
export function tileJsonOrigins(tileJson: unknown, url: string): string[] {
  const tiles = (tileJson as { tiles?: unknown })?.tiles;
  return Array.isArray(tiles) ? tiles.map((t) => originOf(t, url)).filter((o): o is string => o !== null) : [];
}

/** Fetch a style (and the TileJSONs it names) and answer every origin it makes the page talk to. */
export async function fetchStyleOrigins(url: string, opts: { timeoutMs?: number } = {}): Promise<string[]> {
  const get = async (u: string): Promise<unknown> => {
    const res = await fetch(u, { signal: AbortSignal.timeout(opts.timeoutMs ?? 3000), redirect: 'error' });
    if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
    return res.json();
  };
  const refs = styleOrigins(await get(url), url);
  for (const tj of refs.tileJsons) {
    const doc = await get(tj).catch(() => null);
    for (const o of tileJsonOrigins(doc, tj)) refs.origins.add(o);
  }
  return [...refs.origins];
}
