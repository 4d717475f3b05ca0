/**
 * k-nearest-neighbour zones, built as scanstatistics' `knn_zones(dist_to_knn(d, k))`:
 * for every location, order all locations by distance (ties by index, as R's order()),
 * keep the k nearest (the location itself first), and take the k nested prefixes
 * {1}, {1,2}, …, {1..k} as zones; identical sets are kept once. No population cap.
 */
import { type Coordinates, distanceMatrix, type LatLngPoint, orderByDistance, type PlanarPoint } from '../geo.ts';
import { packZones, type ZoneSequence, type ZoneSet } from './zone-set.ts';

export function knnZonesFromDistances(dist: Float64Array, n: number, k: number): ZoneSet {
  if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be an integer ≥ 1');
  if (dist.length !== n * n) throw new RangeError('distance matrix must be n × n');
  const kk = Math.min(k, n);
  const sequences: ZoneSequence[] = [];
  for (let i = 0; i < n; i++) {
    const order = orderByDistance(dist, n, i);
    const members = Array.from(order.subarray(0, kk));
    const sizes: number[] = [];
    for (let s = 1; s <= kk; s++) sizes.push(s);
    sequences.push({ center: i, members, sizes, labels: sizes });
  }
  return packZones(n, sequences, 'global');
}

export function knnZones(
  points: ReadonlyArray<PlanarPoint> | ReadonlyArray<LatLngPoint>,
  k: number,
  coordinates: Coordinates,
): ZoneSet {
  return knnZonesFromDistances(distanceMatrix(points, coordinates), points.length, k);
}
