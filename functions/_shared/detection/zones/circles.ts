/**
 * SaTScan circular windows: around every location (the centroids), grow a circle
 * through the locations one at a time in SaTScan's neighbour order (distance, then the
 * lesser coordinates: `CompareIdentifierDistance`), each circle holding one more
 * location than the last — so of two equidistant locations the first enters alone
 * first. Growth stops at the first location that would take the population inside past
 * `maxPopulationFraction` (≤ 0.5, SaTScan's default and upper limit) of the total
 * population at risk, or that lies beyond `maxRadius`
 * (`CentroidNeighborCalculatorByPopulation/ByDistance::CalculateNumberOfNeighboringLocations`).
 * A zone's label is its radius: the distance from the centre to its last location.
 * Identical location sets are evaluated once (the others are kept as aliases).
 */
import { cartesianCoordinates, type Coordinates, distanceMatrixOf, type LatLngPoint, orderByDistance, type PlanarPoint } from '../geo.ts';
import { packZones, type ZoneSequence, type ZoneSet } from './zone-set.ts';

export interface CircleZoneOptions {
  /** Population (or expected count) per location, used for the cap. */
  population: ArrayLike<number>;
  /** Fraction of the total population a zone may hold (default 0.5, must be in (0, 0.5]). */
  maxPopulationFraction?: number;
  /** Optional radius cap (same unit as the distances: chord km for lat/lng, as SaTScan). */
  maxRadius?: number;
  /** Coordinates for SaTScan's tie order of equidistant locations (default: by index). */
  coords?: ReadonlyArray<ReadonlyArray<number>>;
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
    const order = orderByDistance(dist, n, i, opts.coords);
    const members: number[] = [];
    const sizes: number[] = [];
    const labels: number[] = [];
    let pop = 0;
    for (let j = 0; j < n; j++) {
      const m = order[j]!;
      const r = dist[i * n + m]!;
      if (r > maxRadius || pop + opts.population[m]! > cap) break;
      pop += opts.population[m]!;
      members.push(m);
      sizes.push(members.length);
      labels.push(r);
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
  const coords = cartesianCoordinates(points, coordinates);
  return circleZonesFromDistances(distanceMatrixOf(coords), points.length, { coords, ...opts });
}
