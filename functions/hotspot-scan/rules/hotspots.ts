/**
 * Hotspot lifecycle (pure): match this scan's clusters to the org's active hotspots,
 * then new → ongoing → resolved.
 *
 *  - Identity: a cluster continues the active hotspot of its category whose cells it
 *    overlaps most (greedy, one cluster per hotspot), so a cluster that grows or drifts
 *    by a ring keeps its identity. An unmatched cluster starts a hotspot whose dedup
 *    key is `<category>:<centre cell at first detection>`: deterministic, so
 *    concurrent scans of the same data agree on it.
 *  - Quiet: an active hotspot not re-detected counts quiet *analyses* — hourly buckets
 *    since its last detection, not scans (several scans inside one bucket repeat one
 *    analysis) — and resolves after `resolveAfterQuietBuckets`.
 *  - Writes are planned only on news: a status/severity/size/window change, a quiet
 *    count change, or once per bucket as a "still detected" heartbeat. A scan that
 *    sees the same cluster a minute later writes nothing, so the streams stay quiet.
 */
import type { ScanConfig } from './config.ts';
import type { HotspotStatus } from '../../_shared/vocabulary.ts';
import type { Detection, HotspotRow } from './state.ts';

export type HotspotOpKind = 'insert' | 'update' | 'touch' | 'quiet' | 'resolve';

export interface HotspotOp {
  /** insert: a new hotspot; update: re-detected with news; touch: re-detected, nothing new
   *  (not written); quiet: not re-detected (quiet count changed or not); resolve. */
  kind: HotspotOpKind;
  dedupKey: string;
  category: string;
  existing: HotspotRow | null;
  detection: Detection | null;
  status: HotspotStatus;
  quietScans: number;
  /** Whether the row must be written. */
  write: boolean;
}

export function dedupKeyFor(d: Pick<Detection, 'category' | 'centerCell'>): string {
  return `${d.category}:${d.centerCell}`;
}

export function bucketIndex(t: number, bucketMs: number): number {
  return Math.floor(t / bucketMs);
}

function overlap(a: ReadonlyArray<string>, b: ReadonlySet<string>): number {
  let n = 0;
  for (const c of a) if (b.has(c)) n++;
  return n;
}

function sameCells(a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((c) => s.has(c));
}

/** Match clusters to hotspots of the same category by largest cell overlap. */
export function matchClusters(active: ReadonlyArray<HotspotRow>, detections: ReadonlyArray<Detection>): Map<Detection, HotspotRow> {
  const pairs: Array<{ d: Detection; h: HotspotRow; n: number }> = [];
  const cellSets = new Map(active.map((h) => [h, new Set(h.cells)] as const));
  for (const d of detections) {
    for (const h of active) {
      if (h.category !== d.category) continue;
      const n = overlap(d.cells, cellSets.get(h)!);
      if (n > 0 || h.dedupKey === dedupKeyFor(d)) pairs.push({ d, h, n });
    }
  }
  pairs.sort((x, y) => y.n - x.n || x.h.id - y.h.id);
  const out = new Map<Detection, HotspotRow>();
  const taken = new Set<HotspotRow>();
  for (const p of pairs) {
    if (out.has(p.d) || taken.has(p.h)) continue;
    out.set(p.d, p.h);
    taken.add(p.h);
  }
  return out;
}

export function planHotspots(
  active: ReadonlyArray<HotspotRow>,
  detections: ReadonlyArray<Detection>,
  now: number,
  cfg: Pick<ScanConfig, 'bucketMs' | 'resolveAfterQuietBuckets'>,
  /** Categories whose scan failed: their hotspots are left alone, neither quiet nor resolved. */
  unscanned: ReadonlySet<string> = new Set(),
): HotspotOp[] {
  const ops: HotspotOp[] = [];
  const matched = matchClusters(active, detections);
  const seen = new Set<HotspotRow>();
  const nowBucket = bucketIndex(now, cfg.bucketMs);

  for (const d of detections) {
    const h = matched.get(d);
    if (!h) {
      ops.push({ kind: 'insert', dedupKey: dedupKeyFor(d), category: d.category, existing: null, detection: d, status: 'new', quietScans: 0, write: true });
      continue;
    }
    seen.add(h);
    const news = h.status === 'new' || h.severity !== d.severity || h.observed !== d.observed || !sameCells(h.cells, d.cells)
      || h.windowStart !== d.windowStart || h.windowEnd !== d.windowEnd || h.quietScans !== 0
      || bucketIndex(h.lastDetectedAt, cfg.bucketMs) !== nowBucket;
    ops.push({ kind: news ? 'update' : 'touch', dedupKey: h.dedupKey, category: h.category, existing: h, detection: d, status: 'ongoing', quietScans: 0, write: news });
  }

  for (const h of active) {
    if (seen.has(h) || unscanned.has(h.category)) continue;
    const quiet = Math.max(0, nowBucket - bucketIndex(h.lastDetectedAt, cfg.bucketMs));
    if (quiet >= cfg.resolveAfterQuietBuckets) {
      ops.push({ kind: 'resolve', dedupKey: h.dedupKey, category: h.category, existing: h, detection: null, status: 'resolved', quietScans: quiet, write: true });
    } else {
      ops.push({ kind: 'quiet', dedupKey: h.dedupKey, category: h.category, existing: h, detection: null, status: h.status, quietScans: quiet, write: quiet !== h.quietScans });
    }
  }
  return ops;
}
