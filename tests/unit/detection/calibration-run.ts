// Null-scan calibration run on the synthetic city (shared by the calibration test and
// ad-hoc multi-seed checks). Each scan: a fresh Poisson realisation of `historyDays` of
// history + the 6-hour study window, ending at a different hour of the week, scanned
// with scanCube's defaults (EBP, K = 3, W = 6, 999 replicates with early stop at 50).
import { buildH3DiskIndex, createRng, scanCube } from '../../../functions/_shared/detection/index.ts';
import type { CubeBaselineOptions } from '../../../functions/_shared/detection/index.ts';
import { type City, DAY_MS, HOUR_MS, makeCity, sampleCube } from './synthetic-city.ts';

export interface CalibrationResult {
  pValues: number[];
  atMost05: number;
  atMost01: number;
  meanReplications: number;
  models: Record<string, number>;
  cells: number;
  meanCasesInWindow: number;
}

export function runNullScans(opts: {
  scans: number;
  seed: number;
  historyDays?: number;
  city?: City;
  baseline?: CubeBaselineOptions;
}): CalibrationResult {
  const city = opts.city ?? makeCity();
  const diskIndex = buildH3DiskIndex(city.cells, 3);
  const cells = city.cells.map((cell) => ({ cell }));
  const rng = createRng(opts.seed);
  const historyHours = (opts.historyDays ?? 14) * 24;
  const start = Date.UTC(2024, 2, 4);
  const pValues: number[] = [];
  const models: Record<string, number> = {};
  let reps = 0;
  let cases = 0;
  for (let i = 0; i < opts.scans; i++) {
    // Step 7 h (+ 3 days every third scan) so that scans cover all hours and weekdays.
    const now = start + i * 7 * HOUR_MS + (i % 3) * 3 * DAY_MS;
    const sample = sampleCube(city, now, historyHours, 6, rng);
    const res = scanCube(
      { cells, rows: sample.rows, now, historyStart: sample.historyStart },
      { diskIndex, monteCarlo: { seed: opts.seed * 100_003 + i, budgetMs: Infinity }, baseline: opts.baseline },
    );
    models[res.model] = (models[res.model] ?? 0) + 1;
    reps += res.stats.replications;
    cases += sample.casesInWindow;
    pValues.push(res.clusters[0]?.pValue ?? 1);
  }
  return {
    pValues,
    atMost05: pValues.filter((p) => p <= 0.05).length,
    atMost01: pValues.filter((p) => p <= 0.01).length,
    meanReplications: reps / opts.scans,
    models,
    cells: city.cells.length,
    meanCasesInWindow: cases / opts.scans,
  };
}
