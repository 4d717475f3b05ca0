/**
 * What the hotspot chart costs in the engine: the dashboard demo (29 days of background
 * plus the three injected clusters, rolled up to the res-8 count cube), scanned at one
 * hour, then each detected hotspot's series (rules/series.ts with estimateCubeBaselines)
 * for 48 hours and for 7 days — the CPU part of the hotspot-series function, without
 * the database read.
 *
 *   node --import tsx bench/hotspot-series.ts
 */
import { cellToParent, latLngToCell } from 'h3-js';
import { backgroundEvents, clusterEvents, HOUR_MS } from '../dashboard/src/demo-data.ts';
import { estimateCubeBaselines, scanCube } from '../functions/_shared/detection/index.ts';
import { DEFAULT_SCAN_CONFIG } from '../functions/hotspot-scan/rules/config.ts';
import { CUBE_H3_RESOLUTION, detect, type CategoryCube } from '../functions/hotspot-scan/rules/detect.ts';
import { hotspotSeries, seriesRange } from '../functions/hotspot-series/rules/series.ts';

const now = Date.parse('2026-11-25T18:20:00Z');
const { events } = clusterEvents({ now });
const byCat = new Map<string, Map<string, number>>();
for (const e of [...backgroundEvents({ now }), ...events]) {
  const k = `${cellToParent(latLngToCell(e.lat, e.lng, 9), CUBE_H3_RESOLUTION)}|${Math.floor(Date.parse(e.occurred_at) / HOUR_MS) * HOUR_MS}`;
  const m = byCat.get(e.category) ?? new Map<string, number>();
  byCat.set(e.category, m);
  m.set(k, (m.get(k) ?? 0) + 1);
}
const cubes: CategoryCube[] = [...byCat].map(([category, m]) => {
  const rows = [...m].map(([k, n]) => ({ cell: k.split('|')[0]!, bucketStart: Number(k.split('|')[1]), n }));
  return { category, rows, firstBucket: Math.min(...rows.map((r) => r.bucketStart)), casesInWindow: rows.filter((r) => r.bucketStart >= now - 6 * HOUR_MS).reduce((a, r) => a + r.n, 0) };
});
const cfg = { ...DEFAULT_SCAN_CONFIG, computeBudgetMs: 1e9 };
const created = now - 40 * 86_400_000;
const found = detect(cubes, { now, historyFloor: now - 34 * 86_400_000, cfg, engine: scanCube }).detections;
console.log(`${found.length} hotspots; cube rows per category: ${cubes.map((c) => `${c.category} ${c.rows.length}`).join(', ')}`);
for (const d of found) {
  const rows = cubes.find((c) => c.category === d.category)!.rows;
  for (const hours of [48, 168]) {
    const times: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      hotspotSeries({ cells: d.cells, rows, range: seriesRange(now, hours, HOUR_MS), anchor: d.windowEnd, cfg, orgCreatedMs: created, utcOffsetAt: null }, estimateCubeBaselines);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`${d.category} (${d.cells.length} cells), ${hours} h: median ${times[2]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms`);
  }
}
