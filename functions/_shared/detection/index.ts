/**
 * Hotwatch detection engine: prospective (and retrospective) space-time scan
 * statistics. Pure and I/O-free; runs under Deno and Node. See docs/detection.md.
 */
export { scanPoints } from './scan-points.ts';
export { estimateCubeBaselines, scanCube, SCAN_CUBE_DEFAULTS, DEFAULT_BUCKET_MS } from './scan-cube.ts';
export { cubeBaselines, resolveBaselineOptions, slotClock, type CubeBaseline, type HistoryAggregates } from './baselines.ts';
export * from './types.ts';
export { createRng, type Rng, Xoshiro128 } from './rng.ts';
export { poisson, poissonInversion, poissonPtrs, logFactorial, PTRS_THRESHOLD } from './poisson.ts';
export { fitPoissonGlm, predictPoissonGlm, type PoissonGlmFit, type PoissonGlmInput } from './glm.ts';
export { chordToArcKm, distanceMatrix, haversineKm, latLngToCartesian, SATSCAN_EARTH_RADIUS_KM } from './geo.ts';
export { type ZoneSet, zoneMembers, packZones } from './zones/zone-set.ts';
export { knnZones, knnZonesFromDistances } from './zones/knn.ts';
export { circleZones, circleZonesFromDistances, type CircleZoneOptions } from './zones/circles.ts';
export { buildH3DiskIndex, type H3DiskIndex } from './zones/h3-disks.ts';
export { ebpScore, EbpReplicator } from './models/expectation-poisson.ts';
export { AliasTable, kulldorffLlr, kulldorffRelativeRisk, MultinomialReplicator } from './models/kulldorff-poisson.ts';
export { permutationExpected, PermutationReplicator, permutationScore } from './models/space-time-permutation.ts';
export { cylinderLayout, CylinderScanner, type CylinderLayout, zoneWindowSums } from './cylinders.ts';
export { runMonteCarlo, pValuesFor, resolveMonteCarlo, type MonteCarloRun, type PValues } from './monte-carlo.ts';
export { fitGumbelMl, fitGumbelMoments, gumbelPValue, type GumbelFit } from './gumbel.ts';
export { analysesSince, recurrenceIntervalDays, recurrenceIntervalSteps, type RecurrenceOptions } from './recurrence.ts';
export { DEFAULT_SEVERITY_THRESHOLDS, severityFromRecurrence } from './severity.ts';
export { bestPerCenter, type InCluster, memberOfZone, SECONDARY_CLUSTERS, type SecondaryClusters, selectSecondaryClusters } from './secondary.ts';
export { ReplicateSink } from './replicate-sink.ts';
export { analysesLayout } from './cylinders.ts';
