/**
 * A PMTiles archive in Storage, read by MapLibre through the `pmtiles` protocol with
 * HTTP Range requests (only the header, directories and the tiles in view are fetched).
 * The bucket is private, so each request carries the signed-in user's current token
 * (RLS on storage.objects decides) — read at request time, so a refreshed token is used
 * and a long-open control-room page keeps loading tiles.
 */
import { addProtocol } from 'maplibre-gl';
import { FetchSource, PMTiles, Protocol, TileType, type RangeResponse, type Source } from 'pmtiles';
import type { ArchiveInfo } from './map-style.ts';

const protocol = new Protocol();
let registered = false;

class AuthorizedSource implements Source {
  private readonly inner: FetchSource;
  constructor(private readonly url: string, private readonly headers: () => Promise<Record<string, string>>) {
    this.inner = new FetchSource(url);
  }
  getKey(): string { return this.url; }
  async getBytes(offset: number, length: number, signal?: AbortSignal, etag?: string): Promise<RangeResponse> {
    this.inner.setHeaders(new Headers(await this.headers()));
    return this.inner.getBytes(offset, length, signal, etag);
  }
}

/** Open the archive at `url` (an authenticated Storage download URL) and describe it for archiveStyle(). */
export async function openArchive(url: string, headers: () => Promise<Record<string, string>>): Promise<ArchiveInfo & { bounds: [number, number, number, number] }> {
  if (!registered) {
    addProtocol('pmtiles', protocol.tile);
    registered = true;
  }
  const archive = new PMTiles(new AuthorizedSource(url, headers));
  protocol.add(archive);
  const h = await archive.getHeader();
  const meta = (await archive.getMetadata().catch(() => ({}))) as { vector_layers?: Array<{ id?: unknown }> };
  const layers = (meta.vector_layers ?? []).map((l) => l.id).filter((id): id is string => typeof id === 'string');
  return {
    url: `pmtiles://${url}`,
    kind: h.tileType === TileType.Mvt ? 'vector' : 'raster',
    minZoom: h.minZoom,
    maxZoom: h.maxZoom,
    layers,
    bounds: [h.minLon, h.minLat, h.maxLon, h.maxLat],
  };
}
