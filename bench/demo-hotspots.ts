/**
 * How many hotspots the product's scan makes of the dashboard demo: the demo generator
 * (dashboard/src/demo-data.ts: 29 days of background plus the three injected clusters)
 * rolled up to the res-8 count cube and run through the pure scan path (detect() with
 * scanCube and the product's defaults), at several hours of one week. A detection is a
 * cluster with a severity tier (RI ≥ 7 days), i.e. what becomes a hotspot row.
 *
 * The compute budget is lifted so the figures do not depend on machine load (the
 * product's 1.2 s budget can hand p-values to the Gumbel fit earlier).
 *
 *   node --import tsx bench/demo-hotspots.ts [--rr N]
 *
 * `--rr N` sets every injected cluster's relative risk to N (stronger clusters make
 * more of their neighbourhood significant). DETECTION=<dir> runs another copy of the
 * engine (e.g. an older commit's functions/_shared/detection) for comparison.
 */
import { cellToParent, gridDistance, latLngToCell } from 'h3-js';
import { backgroundEvents, clusterEvents, defaultClusters, type DemoEvent, HOUR_MS } from '../dashboard/src/demo-data.ts';
import type { ScanEngine } from '../functions/hotspot-scan/rules/detect.ts';
import { DEFAULT_SCAN_CONFIG } from '../functions/hotspot-scan/rules/config.ts';
import { type CategoryCube, CUBE_H3_RESOLUTION, detect } from '../functions/hotspot-scan/rules/detect.ts';

const START = Date.parse('2026-11-23T00:20:00Z'); // a Monday
const HOURS = [3, 9, 15, 21, 33, 45, 57, 69, 81, 93, 117, 141];

function cubes(events: DemoEvent[], now: number, W: number): CategoryCube[] {
  const byCat = new Map<string, Map<string, number>>();
  for (const e of events) {
    const cell = cellToParent(latLngToCell(e.lat, e.lng, 9), CUBE_H3_RESOLUTION);
    const bucket = Math.floor(Date.parse(e.occurred_at) / HOUR_MS) * HOUR_MS;
    const m = byCat.get(e.category) ?? new Map<string, number>();
    byCat.set(e.category, m);
    const k = `${cell}|${bucket}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  const studyStart = Math.ceil(now / HOUR_MS) * HOUR_MS - W * HOUR_MS;
  return [...byCat].map(([category, m]) => {
    const rows = [...m].map(([k, n]) => ({ cell: k.split('|')[0]!, bucketStart: Number(k.split('|')[1]), n }));
    const firstBucket = rows.reduce((a, r) => Math.min(a, r.bucketStart), Infinity);
    const casesInWindow = rows.filter((r) => r.bucketStart >= studyStart).reduce((a, r) => a + r.n, 0);
    return { category, rows, firstBucket: Number.isFinite(firstBucket) ? firstBucket : null, casesInWindow };
  });
}

const rrArg = process.argv.indexOf('--rr');
const rr = rrArg > 0 ? Number(process.argv[rrArg + 1]) : null;
const specs = defaultClusters().map((c) => (rr ? { ...c, relativeRisk: rr } : c));
const dir = process.env.DETECTION ? new URL(`file://${process.env.DETECTION.replace(/\/?$/, '/')}`) : new URL('../functions/_shared/detection/', import.meta.url);
const scanCube = ((await import(new URL('scan-cube.ts', dir).href)) as { scanCube: ScanEngine }).scanCube;
const cfg = { ...DEFAULT_SCAN_CONFIG, computeBudgetMs: 1e9 };
let total = 0;
let adjacent = 0;
let hitInjected = 0;
let injectedTotal = 0;
let reported = 0;
for (const h of HOURS) {
  const now = START + h * HOUR_MS;
  const { events, clusters } = clusterEvents({ now, clusters: specs });
  const all = [...backgroundEvents({ now }), ...events];
  const res = detect(cubes(all, now, cfg.maxDurationBuckets), {
    now, historyFloor: now - 40 * 86_400_000, cfg, engine: scanCube,
  });
  const d = res.detections;
  // Detections that touch another detection of the same category (a shared or adjacent cell).
  const touching = d.filter((a) => d.some((b) => b !== a && b.category === a.category &&
    a.cells.some((x) => b.cells.some((y) => gridDistance(x, y) <= 1)))).length;
  const found = clusters.filter((c) => d.some((x) => x.category === c.category && x.cells.some((cell) => c.cells.includes(cell)))).length;
  total += d.length;
  adjacent += touching;
  hitInjected += found;
  injectedTotal += clusters.length;
  for (const v of Object.values(res.categories)) reported += v.clusters;
  const perCat = Object.entries(res.categories).map(([k, v]) => `${k} ${v.significant}/${v.clusters}`).join(', ');
  console.log(`${new Date(now).toISOString()}  hotspots ${d.length} (touching another: ${touching}; injected found ${found}/${clusters.length})  [significant/reported: ${perCat}]`);
}
console.log(`total over ${HOURS.length} scans: ${total} hotspots (of ${reported} clusters reported), ${adjacent} touching another of their category, injected clusters found ${hitInjected}/${injectedTotal}`);
