/**
 * MapLibre styles for the three kinds of basemap, all drawn without a glyph server
 * (no symbol layers: names are HTML markers, map-labels.ts) so they render offline:
 * - the demo city's generated basemap (basemap.ts) as a local style of GeoJSON sources;
 * - a neutral background (no basemap configured): the area and districts still show;
 * - a PMTiles archive: generic layers for each vector layer its metadata lists (fills
 *   for polygons, lines, circles), coloured by the layer's name, or a raster layer.
 * Overlays (area, districts, hotspots) are added on top by map.ts whatever the style.
 */
import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';
import { basemap, clipToBox, type Pt } from './basemap.ts';
import { DEMO_CENTER } from './demo-data.ts';

export type Ring = Array<[number, number]>;
type Geo = GeoJSON.FeatureCollection | GeoJSON.Feature;

export const BACKGROUND = '#eef0e8';
const WATER = '#b8d4ea';
const PARK = '#cfe5c3';

/** km east/north of the demo centre → [lng, lat] (the inverse of projection.ts). */
export function demoLngLat([x, y]: Pt): [number, number] {
  const kx = 111.32 * Math.cos((DEMO_CENTER.lat * Math.PI) / 180);
  return [DEMO_CENTER.lng + x / kx, DEMO_CENTER.lat + y / 110.57];
}

const closed = (ring: readonly Pt[]): Ring => {
  const r = ring.map(demoLngLat);
  return [...r, r[0]!];
};
const polygons = (rings: ReadonlyArray<readonly Pt[]>): Geo => ({
  type: 'FeatureCollection',
  features: rings.map((r) => ({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [closed(r)] } })),
});
const lines = (ls: ReadonlyArray<readonly Pt[]>): Geo => ({
  type: 'FeatureCollection',
  features: ls.map((l) => ({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: l.map(demoLngLat) } })),
});

/** The demo city's districts (cut to the basemap's extent) with their names and where the names go. */
export function demoDistricts(): Array<{ name: string; geometry: GeoJSON.Polygon; label: [number, number] }> {
  const m = basemap();
  return m.districts.map((d) => ({ name: d.name, geometry: { type: 'Polygon', coordinates: [closed(clipToBox(d.ring, m.extent))] }, label: demoLngLat(d.label) }));
}

/** The demo's extra names (water, park) as [lng, lat] points. */
export function demoLabels(): Array<{ text: string; at: [number, number]; kind: string }> {
  return basemap().labels.map((l) => ({ text: l.text, at: demoLngLat(l.at), kind: l.kind }));
}

export function demoBounds(): [[number, number], [number, number]] {
  const [x0, y0, x1, y1] = basemap().extent;
  return [demoLngLat([x0, y0]), demoLngLat([x1, y1])];
}

/** The synthetic city as a local style: every source is inline GeoJSON. */
export function demoStyle(): StyleSpecification {
  const m = basemap();
  const src = (data: Geo) => ({ type: 'geojson' as const, data });
  return {
    version: 8,
    sources: {
      sea: src(polygons([m.sea, m.harbour])),
      parks: src(polygons(m.parks.map((p) => p.ring))),
      river: src(lines([m.river])),
      minor: src(lines(m.minorRoads)),
      major: src(lines(m.majorRoads)),
      rail: src(lines([m.rail])),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } },
      { id: 'parks', type: 'fill', source: 'parks', paint: { 'fill-color': PARK } },
      { id: 'river', type: 'line', source: 'river', paint: { 'line-color': WATER, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 3, 15, 14] }, layout: { 'line-cap': 'round', 'line-join': 'round' } },
      { id: 'roads-minor', type: 'line', source: 'minor', paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 15, 3] } },
      { id: 'roads-major', type: 'line', source: 'major', paint: { 'line-color': '#fbfbf7', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1.5, 15, 8] }, layout: { 'line-cap': 'round', 'line-join': 'round' } },
      { id: 'rail', type: 'line', source: 'rail', paint: { 'line-color': '#8b8f86', 'line-width': 1.5, 'line-dasharray': [4, 2] } },
      { id: 'sea', type: 'fill', source: 'sea', paint: { 'fill-color': WATER } },
    ],
  };
}

/** No basemap configured: a plain land colour; the area and districts are the map. */
export function neutralStyle(): StyleSpecification {
  return { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }] };
}

/** A colour for a vector layer by what its name suggests (OpenMapTiles, Protomaps and hand-made names alike). */
function colourFor(name: string): { fill: string; line: string } {
  const n = name.toLowerCase();
  if (/water|ocean|sea|river|lake/.test(n)) return { fill: WATER, line: '#8fb8dc' };
  if (/park|green|wood|forest|grass|landcover|landuse/.test(n)) return { fill: PARK, line: '#a9cf98' };
  if (/building/.test(n)) return { fill: '#dcd7cf', line: '#c4bdb2' };
  if (/road|street|transport|highway/.test(n)) return { fill: '#ffffff', line: '#ffffff' };
  if (/rail/.test(n)) return { fill: '#8b8f86', line: '#8b8f86' };
  return { fill: '#e2e4da', line: '#b9bcb0' };
}

export interface ArchiveInfo {
  /** `pmtiles://…` URL MapLibre resolves through the registered protocol. */
  url: string;
  kind: 'vector' | 'raster';
  minZoom: number;
  maxZoom: number;
  /** Vector layer ids from the archive's metadata (TileJSON `vector_layers`). */
  layers: string[];
}

/** Generic layers for a PMTiles archive: it carries tiles, not a style. */
export function archiveStyle(a: ArchiveInfo): StyleSpecification {
  const source = a.kind === 'vector'
    ? { type: 'vector' as const, url: a.url }
    : { type: 'raster' as const, url: a.url, tileSize: 256 };
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }];
  if (a.kind === 'raster') layers.push({ id: 'raster', type: 'raster', source: 'basemap' });
  for (const l of a.layers) {
    const c = colourFor(l);
    layers.push(
      { id: `${l}-fill`, type: 'fill', source: 'basemap', 'source-layer': l, filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': c.fill } },
      { id: `${l}-line`, type: 'line', source: 'basemap', 'source-layer': l, filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': c.line, 'line-width': 2 } },
      { id: `${l}-point`, type: 'circle', source: 'basemap', 'source-layer': l, filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': c.line, 'circle-radius': 3 } },
    );
  }
  return { version: 8, sources: { basemap: source }, layers };
}
