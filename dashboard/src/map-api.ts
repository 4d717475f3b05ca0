/**
 * What the map and its settings need from the backend: the org's map settings (area,
 * districts, basemap — a REST read of org_settings under RLS, followed over Realtime),
 * the PMTiles archives in the `basemaps` Storage bucket (RLS: members read their org's
 * folder, admins write it) and the org-settings function to choose the basemap.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type { BasemapSource } from '@hotwatch/client';
import { ApiError } from './api.ts';
import { invokeFunction } from './function-call.ts';

export type { BasemapSource };
export const BASEMAP_BUCKET = 'basemaps';

export interface District {
  name: string;
  geometry: GeoJSON.Polygon | GeoJSON.MultiPolygon;
  /** Where the name goes; by default a point inside the district (map-geometry.ts labelPoint). */
  label?: [number, number];
}

export interface OrgMap {
  area: GeoJSON.Polygon | GeoJSON.MultiPolygon | null;
  districts: District[];
  basemap: BasemapSource;
}

export interface StoredBasemap { path: string; name: string; size: number | null; updatedAt: string | null }

export interface MapApi {
  orgMap(orgId: string): Promise<OrgMap>;
  /** Calls back when the org's settings row changes (another admin, another tab). */
  onOrgMapChange(orgId: string, cb: () => void): () => void;
  /** The authenticated download URL of an archive, and the headers a request to it needs now. */
  archiveUrl(path: string): string;
  authHeaders(): Promise<Record<string, string>>;
  listBasemaps(orgId: string): Promise<StoredBasemap[]>;
  uploadBasemap(orgId: string, file: File): Promise<string>;
  setBasemap(orgId: string, source: BasemapSource): Promise<void>;
}

function asBasemap(map: unknown): BasemapSource {
  const b = (map && typeof map === 'object' ? (map as { basemap?: unknown }).basemap : undefined) as Partial<BasemapSource> | undefined;
  if (b?.kind === 'style' && typeof (b as { url?: unknown }).url === 'string') return { kind: 'style', url: (b as { url: string }).url };
  if (b?.kind === 'pmtiles' && typeof (b as { path?: unknown }).path === 'string') return { kind: 'pmtiles', path: (b as { path: string }).path };
  return { kind: 'none' };
}

function asDistricts(v: unknown): District[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((f: { properties?: { name?: unknown }; geometry?: GeoJSON.Geometry }) =>
    typeof f?.properties?.name === 'string' && (f.geometry?.type === 'Polygon' || f.geometry?.type === 'MultiPolygon')
      ? [{ name: f.properties.name, geometry: f.geometry }] : []);
}

/** A safe object name from an uploaded file's name: the org's folder, then letters, digits, dots, dashes. */
export function basemapPath(orgId: string, fileName: string): string {
  const base = fileName.replace(/\.pmtiles$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 100) || 'basemap';
  return `${orgId}/${base}.pmtiles`;
}

export function createMapApi(supabase: SupabaseClient, cfg: { apiUrl: string; anonKey: string }): MapApi {
  return {
    async orgMap(orgId) {
      const { data, error } = await supabase.from('org_settings').select('area, districts, map').eq('org_id', orgId).maybeSingle();
      if (error) throw new ApiError(error.message, error.code);
      const row = data as { area: unknown; districts: unknown; map: unknown } | null;
      const area = row?.area as OrgMap['area'] | undefined;
      return {
        area: area && (area.type === 'Polygon' || area.type === 'MultiPolygon') ? area : null,
        districts: asDistricts(row?.districts),
        basemap: asBasemap(row?.map),
      };
    },
    onOrgMapChange(orgId, cb) {
      const channel = supabase.channel(`org-map-${orgId}-${Math.random().toString(36).slice(2)}`)
        .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'org_settings', filter: `org_id=eq.${orgId}` }, () => cb())
        .subscribe();
      return () => { void supabase.removeChannel(channel); };
    },
    archiveUrl(path) {
      return `${cfg.apiUrl}/storage/v1/object/authenticated/${BASEMAP_BUCKET}/${path.split('/').map(encodeURIComponent).join('/')}`;
    },
    async authHeaders() {
      const { data } = await supabase.auth.getSession();
      return { apikey: cfg.anonKey, authorization: `Bearer ${data.session?.access_token ?? cfg.anonKey}` };
    },
    async listBasemaps(orgId) {
      const { data, error } = await supabase.storage.from(BASEMAP_BUCKET).list(orgId, { limit: 100, sortBy: { column: 'name', order: 'asc' } });
      if (error) throw new ApiError(error.message, 'storage_error');
      return (data ?? []).filter((o) => o.name.endsWith('.pmtiles')).map((o) => ({
        path: `${orgId}/${o.name}`, name: o.name,
        size: typeof o.metadata?.size === 'number' ? o.metadata.size : null,
        updatedAt: o.updated_at ?? null,
      }));
    },
    async uploadBasemap(orgId, file) {
      const path = basemapPath(orgId, file.name);
      const { error } = await supabase.storage.from(BASEMAP_BUCKET).upload(path, file, { upsert: true, contentType: 'application/vnd.pmtiles' });
      if (error) throw new ApiError(error.message, 'storage_error');
      return path;
    },
    async setBasemap(orgId, source) {
      await invokeFunction(supabase, 'org-settings', { action: 'update', org_id: orgId, map: { basemap: source } });
    },
  };
}

/** For a page without a backend (the dev preview): an org with nothing configured. */
export const noMapApi: MapApi = {
  orgMap: async () => ({ area: null, districts: [], basemap: { kind: 'none' } }),
  onOrgMapChange: () => () => {},
  archiveUrl: (path) => path,
  authHeaders: async () => ({}),
  listBasemaps: async () => [],
  uploadBasemap: async () => { throw new ApiError('No backend.', 'unavailable'); },
  setBasemap: async () => { throw new ApiError('No backend.', 'unavailable'); },
};
