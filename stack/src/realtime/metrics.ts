import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Where a change's time goes between its commit and the server's socket writes, per
 * transaction (wal: commit → decoded here; queue: → its batch starts; rls: → visibility
 * known; order: → its turn in commit order; emit: frames written, per batch) and per
 * change (send: commit → frames written). Rings of the last 8,192 samples each.
 */
export const STAGES = ['wal', 'queue', 'rls', 'order', 'emit', 'send'] as const;
export type Stage = (typeof STAGES)[number];

class Ring {
  private readonly values = new Float64Array(8192);
  private count = 0;
  add(ms: number): void {
    this.values[this.count++ % this.values.length] = ms;
  }
  reset(): void {
    this.count = 0;
  }
  percentile(p: number): number {
    const n = Math.min(this.count, this.values.length);
    if (n === 0) return 0;
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
  }
}

const LOOP_RESOLUTION_MS = 5;

/** Epoch milliseconds with sub-millisecond precision (stage timestamps). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** Counters the server keeps (exposed by `service.metrics()` and logged at stop). */
export class Metrics {
  connections = 0;
  connectionsTotal = 0;
  channels = 0;
  joins = 0;
  joinErrors = 0;
  /** postgres_changes frames sent. */
  deliveries = 0;
  /** broadcast frames sent (client, REST and database origin). */
  broadcasts = 0;
  presenceEvents = 0;
  systemMessages = 0;
  transactions = 0;
  changes = 0;
  /** Visibility queries run (one per group per table per batch). */
  rlsGroupQueries = 0;
  rlsBatches = 0;
  /** (group, change) verdicts served from the authorizer's cache (pure policies), no query. */
  rlsCachedVerdicts = 0;
  /** Row-independent restrictive policies ("gates", authorizer.ts) evaluated: one per group per table per batch. */
  rlsGateChecks = 0;
  /** (group, gate) values served from the authorizer's kept gate values, no query. */
  rlsKeptGates = 0;
  /** 1 ms waits for a decoded commit to become visible before its RLS check (bootstrap.sql). */
  visibilityWaits = 0;
  /** (change, RLS group) pairs RLS could not decide: logged as RealtimeRlsUndecided. */
  rlsUndecided = 0;
  malformedFrames = 0;
  unknownEvents = 0;
  slowConsumerDisconnects = 0;
  oversizedFrames = 0;
  /** Emits that threw (a bug): the batch's frames were cut short, logged. */
  emitErrors = 0;

  private readonly stages = new Map<Stage, Ring>(STAGES.map((s) => [s, new Ring()]));
  private loopDelay: IntervalHistogram | undefined;

  recordStage(stage: Stage, ms: number): void {
    this.stages.get(stage)!.add(ms);
  }

  recordLag(ms: number): void {
    this.recordStage('send', ms);
  }

  /** Drop the recorded stage times and start sampling event-loop delay (benchmarks measure one run at a time). */
  resetLag(): void {
    for (const r of this.stages.values()) r.reset();
    this.loopDelay?.disable();
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loopDelay.enable();
  }

  snapshot(): Record<string, number> {
    const { stages: _s, loopDelay: _l, ...counters } = this as unknown as Record<string, number> & { stages: unknown; loopDelay: unknown };
    const out: Record<string, number> = { ...counters };
    for (const [name, ring] of this.stages) {
      out[`${name}P50Ms`] = ring.percentile(50);
      out[`${name}P99Ms`] = ring.percentile(99);
    }
    if (this.loopDelay) {
      // The histogram records whole sampling intervals; the delay is what exceeds the resolution.
      const delay = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
      out.loopDelayP50Ms = delay(this.loopDelay.percentile(50));
      out.loopDelayP99Ms = delay(this.loopDelay.percentile(99));
      out.loopDelayMaxMs = delay(this.loopDelay.max);
    }
    return out;
  }
}
