// Loader for the New Mexico brain cancer validation data (test helper, Node only).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitPoissonGlm, predictPoissonGlm } from '../../../functions/_shared/detection/index.ts';

// Vendored into the repo (source and licence in the folder's README.md and LICENSE.md).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const NM_DIR = resolve(repoRoot, 'tests/fixtures/nm_brain_cancer');

type Row = Record<string, string>;

function readCsv(file: string): Row[] {
  const lines = readFileSync(resolve(NM_DIR, file), 'utf8').trim().split(/\r?\n/);
  const unq = (s: string): string => s.trim().replace(/^"|"$/g, '');
  const header = lines[0]!.split(',').map(unq);
  return lines.slice(1).map((line) => {
    const v = line.split(',').map(unq);
    return Object.fromEntries(header.map((h, i) => [h, v[i] ?? '']));
  });
}

export interface NmData {
  counties: string[];
  seats: Array<{ id: string; lat: number; lng: number }>;
  years: number[];
  /** counts[t][l] for 1986..1989 */
  counts: number[][];
  /** GLM baselines[t][l] for 1986..1989 */
  baselines: number[][];
  coefficients: number[];
  glmConverged: boolean;
}

export function loadNm(): NmData {
  const geo = readCsv('NM_geo.csv').filter((r) => r.county !== 'cibola');
  const popcas = readCsv('NM_popcas.csv');
  const counties = geo.map((g) => g.county!);
  // glm(count ~ offset(log(population)) + 1 + I(year - 1985), poisson, data = year < 1986)
  const train = popcas.filter((r) => Number(r.year) < 1986);
  const fit = fitPoissonGlm({
    x: train.map((r) => [1, Number(r.year) - 1985]),
    y: train.map((r) => Number(r.count)),
    offset: train.map((r) => Math.log(Number(r.population))),
  });
  const byKey = new Map(popcas.map((r) => [`${r.year}|${r.county}`, r]));
  const get = (y: number, c: string): Row => {
    const r = byKey.get(`${y}|${c}`);
    if (!r) throw new Error(`missing ${y} ${c}`);
    return r;
  };
  const years = [1986, 1987, 1988, 1989];
  const counts = years.map((y) => counties.map((c) => Number(get(y, c).count)));
  const baselines = years.map((y) =>
    predictPoissonGlm(
      fit.coefficients,
      counties.map(() => [1, y - 1985]),
      counties.map((c) => Math.log(Number(get(y, c).population))),
    ),
  );
  return {
    counties,
    seats: geo.map((g) => ({ id: g.county!, lat: Number(g.seat_lat), lng: Number(g.seat_long) })),
    years,
    counts,
    baselines,
    coefficients: fit.coefficients,
    glmConverged: fit.converged,
  };
}
