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

  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}
