/**
 * Protocol vocabulary and named defaults, in one place (no string literals for
 * wire values elsewhere in the SDK).
 */

/** The Realtime `system` message that says the server's change feed is really listening. */
export const SYSTEM_POSTGRES_EXTENSION = 'postgres_changes';
/** Sent on private broadcast channels joined with `broadcast.replication_ready: true`. */
export const SYSTEM_REPLICATION_EXTENSION = 'system';
export const SYSTEM_REPLICATION_READY_MESSAGE = 'Replication connection established';
export const SYSTEM_STATUS_OK = 'ok';
export const SYSTEM_STATUS_ERROR = 'error';

/** realtime-js subscribe statuses (REALTIME_SUBSCRIBE_STATES values). */
export const CHANNEL_STATUS = {
  subscribed: 'SUBSCRIBED',
  timedOut: 'TIMED_OUT',
  closed: 'CLOSED',
  channelError: 'CHANNEL_ERROR',
} as const;

/** Row operations as Realtime names them (postgres_changes `eventType`, broadcast `event`). */
export const OPERATION = { insert: 'INSERT', update: 'UPDATE', delete: 'DELETE' } as const;

export const RESUME_FUNCTION = 'stream_resume';
/** Rows per stream_resume page (the function caps it at 1,000). */
export const DEFAULT_PAGE_SIZE = 1000;
/**
 * How long to wait after SUBSCRIBED for the server to say it is listening before
 * rejoining. Hosted Supabase sends "Subscribed to PostgreSQL" up to seconds late.
 */
export const DEFAULT_READY_TIMEOUT_MS = 20_000;
/**
 * Live changes held while catching up; past this the buffer is dropped and one more
 * catch-up runs instead (it returns the same rows from the database).
 */
export const DEFAULT_MAX_BUFFERED_CHANGES = 50_000;
/** Events an async iterator holds for a slow consumer before it coalesces per row. */
export const DEFAULT_ITERATOR_HIGH_WATER_MARK = 10_000;

/** The Hotwatch edge functions the helpers call. */
export const FUNCTION_NAMES = {
  ingest: 'ingest-events',
  scan: 'hotspot-scan',
  decisions: 'decisions',
  playbooks: 'playbooks',
} as const;
