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
  malformedFrames = 0;
  unknownEvents = 0;
  slowConsumerDisconnects = 0;
  oversizedFrames = 0;

  /** Commit → frames written, per change (ring of the last 8,192). */
  private readonly lags = new Float64Array(8192);
  private lagCount = 0;

  recordLag(ms: number): void {
    this.lags[this.lagCount++ % this.lags.length] = ms;
  }

  /** Drop the recorded lags (benchmarks measure one run at a time). */
  resetLag(): void {
    this.lagCount = 0;
  }

  private lagPercentile(p: number): number {
    const n = Math.min(this.lagCount, this.lags.length);
    if (n === 0) return 0;
    const sorted = Array.from(this.lags.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!;
  }

  snapshot(): Record<string, number> {
    const { lags: _l, lagCount: _c, ...counters } = this as unknown as Record<string, number> & { lags: unknown; lagCount: unknown };
    return { ...counters, commitToSendP50Ms: this.lagPercentile(50), commitToSendP99Ms: this.lagPercentile(99) };
  }
}
