/**
 * The res-8 H3 cells an area covers (h3-js `polygonToCells`: cells whose centre lies
 * inside), refused above a limit. A rough planar area estimate runs first so a
 * continent-sized polygon is refused before h3 allocates millions of cells.
 */
import { getHexagonAreaAvg, polygonToCells, UNITS } from 'h3-js';
import { SETTINGS_H3_RESOLUTION } from '../../_shared/org-settings.ts';
import { polygonsOf, type AreaGeometry, type Ring } from '../../_shared/geojson.ts';

/** km² of a ring (equirectangular around its first latitude; good enough for a guard). */
function ringAreaKm2(ring: Ring): number {
  const k = Math.cos(((ring[0]?.[1] ?? 0) * Math.PI) / 180);
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1, y1] = ring[i]!;
    const [x2, y2] = ring[i + 1]!;
    a += x1 * k * y2 - x2 * k * y1;
  }
  return Math.abs(a / 2) * 111.32 * 110.57;
}

export function estimatedCells(g: AreaGeometry): number {
  let km2 = 0;
  for (const p of polygonsOf(g)) km2 += ringAreaKm2(p[0]!) - p.slice(1).reduce((s, r) => s + ringAreaKm2(r), 0);
  return km2 / getHexagonAreaAvg(SETTINGS_H3_RESOLUTION, UNITS.km2);
}

export type AreaCells = { cells: string[] } | { error: string };

export function areaCells(g: AreaGeometry, maxCells: number): AreaCells {
  const estimate = estimatedCells(g);
  if (estimate > maxCells * 2) {
    return { error: `The area covers about ${Math.round(estimate)} resolution-8 cells; at most ${maxCells}.` };
  }
  const set = new Set<string>();
  for (const p of polygonsOf(g)) for (const c of polygonToCells(p, SETTINGS_H3_RESOLUTION, true)) set.add(c);
  if (set.size > maxCells) return { error: `The area covers ${set.size} resolution-8 cells; at most ${maxCells}.` };
  if (set.size === 0) return { error: 'The area is too small: it contains the centre of no resolution-8 cell (about 0.7 km²).' };
  return { cells: [...set].sort() };
}
