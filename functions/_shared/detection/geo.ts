/** Distances between locations: planar (Euclidean) or lat/lng (haversine, km). */

export const EARTH_RADIUS_KM = 6371.0088;

export type PlanarPoint = { x: number; y: number };
export type LatLngPoint = { lat: number; lng: number };
export type Coordinates = 'planar' | 'latlng';

export function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLng = (lng2 - lng1) * rad;
  const s1 = Math.sin(dLat / 2);
  const s2 = Math.sin(dLng / 2);
  const h = s1 * s1 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * s2 * s2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function euclidean(x1: number, y1: number, x2: number, y2: number): number {
  return Math.hypot(x2 - x1, y2 - y1);
}

/** Full n × n distance matrix (row-major). */
export function distanceMatrix(
  points: ReadonlyArray<PlanarPoint> | ReadonlyArray<LatLngPoint>,
  coordinates: Coordinates,
): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let v: number;
      if (coordinates === 'latlng') {
        const a = points[i] as LatLngPoint;
        const b = points[j] as LatLngPoint;
        v = haversineKm(a.lat, a.lng, b.lat, b.lng);
      } else {
        const a = points[i] as PlanarPoint;
        const b = points[j] as PlanarPoint;
        v = euclidean(a.x, a.y, b.x, b.y);
      }
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return d;
}

/**
 * Indices 0..n-1 ordered by distance from `from` (row of a distance matrix); ties broken
 * by index (stable, as R's order()).
 */
export function orderByDistance(dist: Float64Array, n: number, from: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const base = from * n;
  const arr = Array.from(idx);
  arr.sort((a, b) => dist[base + a]! - dist[base + b]! || a - b);
  return Int32Array.from(arr);
}
