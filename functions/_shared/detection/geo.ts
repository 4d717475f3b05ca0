/**
 * Distances between locations, as SaTScan computes them.
 *
 * - planar: Euclidean distance of (x, y);
 * - lat/lng: SaTScan converts latitude/longitude to 3-D Cartesian coordinates on a
 *   sphere of radius 6367 km (`EARTH_RADIUS_km` in calculation/SaTScan.h,
 *   `ConvertFromLatLong` in calculation/utility/UtilityFunctions.cpp) and uses the
 *   straight-line (chord) distance between them, in km: neighbour order, the km cap on
 *   circles and the secondary-cluster geometry all use the chord. Radii are reported as
 *   the great-circle length of the chord on that sphere, 2R·asin(chord / 2R)
 *   (`CCluster::GetLatLongRadius`).
 *
 * Equidistant locations are ordered as SaTScan's neighbour sort does
 * (`CompareIdentifierDistance`, calculation/satscan_data/CentroidNeighbors.cpp): by the
 * lesser coordinates, compared lexicographically (x, y — or the 3-D x, y, z for
 * lat/lng), and only then by input index (identical coordinates).
 */

/** SaTScan's Earth radius (km) for lat/lng coordinates. */
export const SATSCAN_EARTH_RADIUS_KM = 6367;
/** Mean Earth radius (km, IUGG) of the haversine formula. */
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

/** SaTScan's 3-D coordinates (km) of a latitude/longitude, in its order of operations. */
export function latLngToCartesian(lat: number, lng: number): [number, number, number] {
  const R = SATSCAN_EARTH_RADIUS_KM;
  return [
    R * Math.cos((lng * Math.PI) / 180) * Math.cos((lat * Math.PI) / 180),
    R * Math.sin((lng * Math.PI) / 180) * Math.cos((lat * Math.PI) / 180),
    R * Math.sin((lat * Math.PI) / 180),
  ];
}

/** Great-circle length (km) of a chord on SaTScan's sphere: how it reports a lat/lng radius. */
export function chordToArcKm(chordKm: number): number {
  const R = SATSCAN_EARTH_RADIUS_KM;
  return 2 * R * Math.asin(Math.min(1, chordKm / (2 * R)));
}

/** Coordinates as SaTScan compares them: (x, y) planar, (x, y, z) km for lat/lng. */
export function cartesianCoordinates(
  points: ReadonlyArray<PlanarPoint> | ReadonlyArray<LatLngPoint>,
  coordinates: Coordinates,
): number[][] {
  return points.map((p) => {
    if (coordinates === 'latlng') {
      const q = p as LatLngPoint;
      return latLngToCartesian(q.lat, q.lng);
    }
    const q = p as PlanarPoint;
    return [q.x, q.y];
  });
}

export function euclidean(x1: number, y1: number, x2: number, y2: number): number {
  return Math.hypot(x2 - x1, y2 - y1);
}

/** Full n × n distance matrix (row-major) of Cartesian coordinates: sqrt of the summed squares, as SaTScan. */
export function distanceMatrixOf(coords: ReadonlyArray<ReadonlyArray<number>>): Float64Array {
  const n = coords.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = coords[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = coords[j]!;
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) * (a[k]! - b[k]!);
      const v = Math.sqrt(s);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return d;
}

/** Full n × n distance matrix: Euclidean (planar) or SaTScan's chord in km (lat/lng). */
export function distanceMatrix(
  points: ReadonlyArray<PlanarPoint> | ReadonlyArray<LatLngPoint>,
  coordinates: Coordinates,
): Float64Array {
  return distanceMatrixOf(cartesianCoordinates(points, coordinates));
}

/** Lexicographic comparison of two coordinate vectors (SaTScan's `Coordinates::operator<`). */
function compareCoordinates(a: ReadonlyArray<number>, b: ReadonlyArray<number>): number {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! < b[k]! ? -1 : 1;
  return 0;
}

/**
 * Indices 0..n-1 ordered by distance from `from` (row of a distance matrix). Ties: by
 * the lesser coordinates when `coords` is given (SaTScan), then by index (R's order()).
 */
export function orderByDistance(
  dist: Float64Array,
  n: number,
  from: number,
  coords?: ReadonlyArray<ReadonlyArray<number>>,
): Int32Array {
  const base = from * n;
  const arr = Array.from({ length: n }, (_, i) => i);
  arr.sort((a, b) => dist[base + a]! - dist[base + b]! || (coords ? compareCoordinates(coords[a]!, coords[b]!) : 0) || a - b);
  return Int32Array.from(arr);
}
