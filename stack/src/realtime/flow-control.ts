/**
 * What the change pipeline may ask of the replication stream: back-pressure on its queue
 * depth, the acknowledgement of a delivered batch's LSN (only then may PostgreSQL free the
 * WAL), and a restart from the last acknowledged position after a failed batch.
 * ReplicationStream (replication.ts) implements it.
 */
export interface FlowControl {
  /** Stop reading the stream (the queue is over its limit). */
  pause(): void;
  /** Read again (the queue drained below half its limit, or the stream restarted). */
  resume(): void;
  /** Everything up to this end LSN was delivered. */
  ack(endLsn: bigint): void;
  /** Drop the connection and stream again from the last acknowledged position. */
  reconnect(reason: string): void;
}
