/** The origins a MapLibre style names (the dashboard's CSP is built from them) and where district names go. */
import { describe, expect, it } from 'vitest';
import { labelPoint, inPolygon } from '../../../dashboard/src/map-geometry.ts';
import { styleOrigins, tileJsonOrigins } from '../../../dashboard/src/style-origins.ts';

describe('styleOrigins', () => {
  it('collects the style\'s own origin, glyphs, sprites, tiles, GeoJSON data and TileJSON URLs', () => {
    const style = {
      version: 8,
      glyphs: 'https://fonts.example.org/{fontstack}/{range}.pbf',
      sprite: [{ id: 'a', url: 'https://sprites.example.org/a' }, { id: 'b', url: '/sprites/b' }],
      sources: {
        vt: { type: 'vector', url: 'https://tilejson.example.net/city.json' },
        raster: { type: 'raster', tiles: ['https://a.tiles.example.com/{z}/{x}/{y}.png', 'https://b.tiles.example.com/{z}/{x}/{y}.png'] },
        geo: { type: 'geojson', data: 'http://127.0.0.1:8081/town.geojson' },
        inline: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
        archive: { type: 'vector', url: 'pmtiles://https://files.example.org/city.pmtiles' },
      },
      layers: [],
    };
    const r = styleOrigins(style, 'https://styles.example.org/v1/style.json');
    expect([...r.origins].sort()).toEqual([
      'http://127.0.0.1:8081', 'https://a.tiles.example.com', 'https://b.tiles.example.com', 'https://files.example.org',
      'https://fonts.example.org', 'https://sprites.example.org', 'https://styles.example.org', 'https://tilejson.example.net',
    ]);
    expect(r.tileJsons).toEqual(['https://tilejson.example.net/city.json']);
    expect(tileJsonOrigins({ tiles: ['https://t.example.net/{z}/{x}/{y}.mvt'] }, r.tileJsons[0]!)).toEqual(['https://t.example.net']);
  });

  it('ignores what is not an http(s) URL', () => {
    const r = styleOrigins({ glyphs: 'javascript:alert(1)', sources: { x: { tiles: [42, 'data:,x'] } } }, 'https://s.example.org/style.json');
    expect([...r.origins]).toEqual(['https://s.example.org']);
    expect(tileJsonOrigins(null, 'https://s.example.org/x.json')).toEqual([]);
  });
});

describe('labelPoint', () => {
  it('is the centroid of a convex district and inside a crescent-shaped one', () => {
    expect(labelPoint({ type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] })).toEqual([1, 1]);
    // A U shape: its centroid falls in the notch.
    const u = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]];
    const p = labelPoint({ type: 'MultiPolygon', coordinates: [[[[10, 10], [10.1, 10], [10.1, 10.1], [10, 10]]], [u]] });
    expect(inPolygon(p, [u])).toBe(true);
  });
});
