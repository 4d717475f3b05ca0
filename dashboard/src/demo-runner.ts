/**
 * The demo: ≥ 4 weeks of back-dated background events through ingest-events (so the
 * expectation-based model has baselines), then clusters of known relative risk in the
 * last hours, then a scan. Shared by the page's demo control, the tests and the bench.
 */
import type { IngestSummary, ScanSummary } from './api.ts';
import { backgroundEvents, batches, clusterEvents, DEMO_DAYS, type DemoEvent, type InjectedCluster } from './demo-data.ts';

/** Events per ingest request (ingest-events accepts at most 10,000). */
export const DEMO_BATCH_SIZE = 10_000;

export interface DemoProgress {
  phase: 'background' | 'clusters' | 'scan' | 'done';
  sent: number;
  accepted: number;
  duplicate: number;
  message: string;
}

export interface DemoResult {
  background: IngestSummary;
  clusters: InjectedCluster[];
  clusterEvents: IngestSummary;
  scan: ScanSummary | null;
}

export interface DemoTarget {
  ingest(events: DemoEvent[]): Promise<IngestSummary>;
  triggerScan(): Promise<ScanSummary>;
}

const add = (a: IngestSummary, b: IngestSummary): IngestSummary => ({
  accepted: a.accepted + b.accepted, duplicate: a.duplicate + b.duplicate, rejected: a.rejected + b.rejected,
});

/** Yield to the event loop so the page stays responsive between batches. */
const breathe = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export async function runDemo(target: DemoTarget, opts: {
  now?: number;
  seed?: number;
  days?: number;
  scan?: boolean;
  onProgress?(p: DemoProgress): void;
} = {}): Promise<DemoResult> {
  const now = opts.now ?? Date.now();
  const seed = opts.seed ?? 1;
  const days = opts.days ?? DEMO_DAYS;
  const progress = opts.onProgress ?? (() => {});
  let background: IngestSummary = { accepted: 0, duplicate: 0, rejected: 0 };
  let sent = 0;
  progress({ phase: 'background', sent, accepted: 0, duplicate: 0, message: `Sending ${days} days of background events…` });
  for (const batch of batches(backgroundEvents({ now, seed, days }), DEMO_BATCH_SIZE)) {
    background = add(background, await target.ingest(batch));
    sent += batch.length;
    progress({ phase: 'background', sent, accepted: background.accepted, duplicate: background.duplicate,
      message: `Background: ${sent.toLocaleString('en')} events sent (${background.duplicate.toLocaleString('en')} already there)` });
    await breathe();
  }
  const injected = clusterEvents({ now, seed });
  progress({ phase: 'clusters', sent, accepted: background.accepted, duplicate: background.duplicate,
    message: `Injecting ${injected.clusters.length} clusters (${injected.events.length} events)…` });
  let clusters: IngestSummary = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const batch of batches(injected.events, DEMO_BATCH_SIZE)) clusters = add(clusters, await target.ingest(batch));
  let scan: ScanSummary | null = null;
  if (opts.scan !== false) {
    progress({ phase: 'scan', sent, accepted: background.accepted, duplicate: background.duplicate, message: 'Scanning for clusters…' });
    scan = await target.triggerScan();
  }
  progress({ phase: 'done', sent, accepted: background.accepted, duplicate: background.duplicate, message: 'Demo data loaded.' });
  return { background, clusters: injected.clusters, clusterEvents: clusters, scan };
}
