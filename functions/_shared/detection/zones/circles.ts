/**
 * SaTScan circular windows: around every location (the centroids), grow a circle
 * through the locations in order of distance; a zone ends at each distinct radius
 * (locations at the same distance enter together), and growth stops before the
 * population inside would exceed `maxPopulationFraction` (≤ 0.5, SaTScan's default and
 * upper limit) of the total population at risk, or an optional `maxRadius`.
 * Identical location sets are kept once.
 */
import { type Coordinates, distanceMatrix, type LatLngPoint, orderByDistance, type PlanarPoint } from '../geo.ts';
import { packZones, type ZoneSequence, type ZoneSet } from './zone-set.ts';

export interface CircleZoneOptions {
  /** Population (or expected count) per location, used for the cap. */
  population: ArrayLike<number>;
  /** Fraction of the total population a zone may hold (default 0.5, must be in (0, 0.5]). */
  maxPopulationFraction?: number;
  /** Optional radius cap (same unit as the distances: km for lat/lng). */
  maxRadius?: number;
}

export function circleZonesFromDistances(dist: Float64Array, n: number, opts: CircleZoneOptions): ZoneSet {
  const frac = opts.maxPopulationFraction ?? 0.5;
  if (!(frac > 0 && frac <= 0.5)) throw new RangeError('maxPopulationFraction must be in (0, 0.5]');
  if (opts.population.length !== n) throw new RangeError('population must have one value per location');
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = opts.population[i]!;
    if (!(p >= 0)) throw new RangeError('population must be ≥ 0');
    total += p;
  }
  const cap = frac * total * (1 + 1e-12);
  const maxRadius = opts.maxRadius ?? Infinity;
  const sequences: ZoneSequence[] = [];
  for (let i = 0; i < n; i++) {
    const order = orderByDistance(dist, n, i);
    const members: number[] = [];
    const sizes: number[] = [];
    const labels: number[] = [];
    let pop = 0;
    let j = 0;
    while (j < n) {
      const r = dist[i * n + order[j]!]!;
      if (r > maxRadius) break;
      // All locations at this exact distance enter together.
      let end = j;
      let add = 0;
      while (end < n && dist[i * n + order[end]!]! === r) {
        add += opts.population[order[end]!]!;
        end++;
      }
      if (pop + add > cap) break;
      pop += add;
      for (let q = j; q < end; q++) members.push(order[q]!);
      sizes.push(members.length);
      labels.push(r);
      j = end;
    }
    if (sizes.length > 0) sequences.push({ center: i, members, sizes, labels });
  }
  return packZones(n, sequences, 'global');
}

export function circleZones(
  points: ReadonlyArray<PlanarPoint> | ReadonlyArray<LatLngPoint>,
  coordinates: Coordinates,
  opts: CircleZoneOptions,
): ZoneSet {
  return circleZonesFromDistances(distanceMatrix(points, coordinates), points.length, opts);
}
