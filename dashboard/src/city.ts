/**
 * Geography of the synthetic demo city "Northside": where it is, its coast and
 * harbour, and where activity concentrates. The demo data (where events happen) and
 * the basemap (what the map draws) both read it, so events never land in the sea.
 * Coordinates are km east (x) and north (y) of DEMO_CENTER.
 */

/** Centre of the synthetic city: open sea in the real world, so it cannot be mistaken for a real place. */
export const DEMO_CENTER = Object.freeze({ lat: 54.0, lng: 4.0 });

const KM_PER_DEG_LAT = 110.57;
const KM_PER_DEG_LNG = 111.32 * Math.cos((DEMO_CENTER.lat * Math.PI) / 180);

export function kmFromCenter(lat: number, lng: number): { x: number; y: number } {
  return { x: (lng - DEMO_CENTER.lng) * KM_PER_DEG_LNG, y: (lat - DEMO_CENTER.lat) * KM_PER_DEG_LAT };
}

export function latLngFromKm(x: number, y: number): { lat: number; lng: number } {
  return { lat: DEMO_CENTER.lat + y / KM_PER_DEG_LAT, lng: DEMO_CENTER.lng + x / KM_PER_DEG_LNG };
}

/** The coastline: the sea lies north of it. */
export function coastY(x: number): number {
  return 3.9 + 0.25 * Math.sin(1.1 * x + 0.5) - 0.05 * x;
}

/** The harbour basin, cut into the land north of Harbourside. */
export const HARBOUR: ReadonlyArray<readonly [number, number]> = [
  [1.9, 3.05], [2.5, 2.95], [3.1, 3.05], [3.15, 4.2], [1.85, 4.2],
];

function inPolygon(x: number, y: number, poly: ReadonlyArray<readonly [number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function isLand(x: number, y: number): boolean {
  return y < coastY(x) && !inPolygon(x, y, HARBOUR);
}

/** Where activity concentrates: downtown, the harbour front and a nightlife strip in Westfield. */
export const ACTIVITY_CENTERS: ReadonlyArray<{ x: number; y: number; sigma: number; w: number }> = [
  { x: 0, y: 0, sigma: 1.6, w: 1 },
  { x: 2.5, y: 2.2, sigma: 0.9, w: 0.45 },
  { x: -2.1, y: -0.6, sigma: 0.8, w: 0.35 },
];
