/**
 * The embedded Realtime server's registry of protocol names, named limits and stable
 * error codes. Reason strings follow Supabase Realtime (supabase/realtime
 * realtime_channel.ex, channels_authorization.ex) so clients see the same text.
 */

/** Phoenix channel events (Phoenix + Supabase additions). */
export const EVENTS = {
  join: 'phx_join',
  leave: 'phx_leave',
  close: 'phx_close',
  error: 'phx_error',
  reply: 'phx_reply',
  heartbeat: 'heartbeat',
  accessToken: 'access_token',
  broadcast: 'broadcast',
  presence: 'presence',
  presenceState: 'presence_state',
  presenceDiff: 'presence_diff',
  postgresChanges: 'postgres_changes',
  system: 'system',
} as const;

export const PHOENIX_TOPIC = 'phoenix';
export const TOPIC_PREFIX = 'realtime:';

/** Replication slot and publications (as on Supabase). */
export const SLOT_NAME = 'supabase_realtime_replication_slot';
export const CHANGES_PUBLICATION = 'supabase_realtime';
export const MESSAGES_PUBLICATION = 'supabase_realtime_messages_publication';

/**
 * Named limits. Every value can be overridden through `startStack({ realtime: {...} })`
 * or the environment variable named in `LIMIT_ENV`. Defaults follow the Supabase Pro plan
 * and the self-hosted Realtime server (docs/realtime.md lists them).
 */
export interface RealtimeLimits {
  /** Largest WebSocket frame accepted (Realtime's endpoint: 5,000,000 bytes). Larger → close 1009. */
  maxFrameBytes: number;
  /** Largest broadcast / presence payload (tenant default 3,000 KB). */
  maxPayloadBytes: number;
  /** Channels one connection may join at once (plan quota 100). */
  maxChannelsPerConnection: number;
  /** Channel joins per second, all connections together (Pro plan 500). */
  maxJoinsPerSecond: number;
  /** Concurrent WebSocket connections (Pro "no cap" plan 10,000). */
  maxConnections: number;
  /** Bytes queued for one socket before it is disconnected as a slow consumer. */
  maxSendBufferBytes: number;
  /** Close a socket that sent nothing (not even a heartbeat) for this long (Phoenix: 60 s). */
  idleTimeoutMs: number;
  /** Delay before a join error reply (Realtime CHANNEL_ERROR_BACKOFF_MS, 5 s). */
  joinErrorBackoffMs: number;
  /** Delay before refusing a WebSocket upgrade (Realtime CONNECT_ERROR_BACKOFF_MS, 2 s). */
  connectErrorBackoffMs: number;
  /** Delay between the join reply and the "Subscribed to PostgreSQL" system message. */
  systemMessageDelayMs: number;
  /** Presence track/untrack calls per client per window (Realtime: 5 per 30 s). */
  presenceMaxCallsPerWindow: number;
  presenceWindowMs: number;
  /** Values in one `in` filter (Supabase documents 100). */
  maxInFilterValues: number;
  /** Change records above this size carry only ≤64-byte values and error 413 (walrus: 1 MiB). */
  maxRecordBytes: number;
  /** Messages in one REST batch broadcast. */
  maxRestBatchMessages: number;
  /** Broadcast replay: most messages per join (Realtime: 25). */
  maxReplayMessages: number;
  /** Wait for the replication connection before shutting a `replication_ready` channel (60 s). */
  replicationReadyTimeoutMs: number;
  /** Transactions queued from the replication stream before it is paused (back-pressure). */
  maxQueuedTransactions: number;
}

export const DEFAULT_LIMITS: RealtimeLimits = {
  maxFrameBytes: 5_000_000,
  maxPayloadBytes: 3_000 * 1024,
  maxChannelsPerConnection: 100,
  maxJoinsPerSecond: 500,
  maxConnections: 10_000,
  maxSendBufferBytes: 16 * 1024 * 1024,
  idleTimeoutMs: 60_000,
  joinErrorBackoffMs: 5_000,
  connectErrorBackoffMs: 2_000,
  systemMessageDelayMs: 0,
  presenceMaxCallsPerWindow: 5,
  presenceWindowMs: 30_000,
  maxInFilterValues: 100,
  maxRecordBytes: 1024 * 1024,
  maxRestBatchMessages: 1_000,
  maxReplayMessages: 25,
  replicationReadyTimeoutMs: 60_000,
  maxQueuedTransactions: 10_000,
};

/** Environment variable for each limit (HOTWATCH_REALTIME_<SNAKE_CASE>). */
export const LIMIT_ENV: Record<keyof RealtimeLimits, string> = {
  maxFrameBytes: 'HOTWATCH_REALTIME_MAX_FRAME_BYTES',
  maxPayloadBytes: 'HOTWATCH_REALTIME_MAX_PAYLOAD_BYTES',
  maxChannelsPerConnection: 'HOTWATCH_REALTIME_MAX_CHANNELS_PER_CONNECTION',
  maxJoinsPerSecond: 'HOTWATCH_REALTIME_MAX_JOINS_PER_SECOND',
  maxConnections: 'HOTWATCH_REALTIME_MAX_CONNECTIONS',
  maxSendBufferBytes: 'HOTWATCH_REALTIME_MAX_SEND_BUFFER_BYTES',
  idleTimeoutMs: 'HOTWATCH_REALTIME_IDLE_TIMEOUT_MS',
  joinErrorBackoffMs: 'HOTWATCH_REALTIME_JOIN_ERROR_BACKOFF_MS',
  connectErrorBackoffMs: 'HOTWATCH_REALTIME_CONNECT_ERROR_BACKOFF_MS',
  systemMessageDelayMs: 'HOTWATCH_REALTIME_SUBSCRIBED_DELAY_MS',
  presenceMaxCallsPerWindow: 'HOTWATCH_REALTIME_PRESENCE_MAX_CALLS',
  presenceWindowMs: 'HOTWATCH_REALTIME_PRESENCE_WINDOW_MS',
  maxInFilterValues: 'HOTWATCH_REALTIME_MAX_IN_FILTER_VALUES',
  maxRecordBytes: 'HOTWATCH_REALTIME_MAX_RECORD_BYTES',
  maxRestBatchMessages: 'HOTWATCH_REALTIME_MAX_REST_BATCH_MESSAGES',
  maxReplayMessages: 'HOTWATCH_REALTIME_MAX_REPLAY_MESSAGES',
  replicationReadyTimeoutMs: 'HOTWATCH_REALTIME_REPLICATION_READY_TIMEOUT_MS',
  maxQueuedTransactions: 'HOTWATCH_REALTIME_MAX_QUEUED_TRANSACTIONS',
};

/** Options accepted by `startStack({ realtime })`: any limit. */
export type RealtimeOverrides = Partial<RealtimeLimits>;

/**
 * Stable error codes. Join errors reply `{reason: "<Code>: <message>"}` exactly like
 * Supabase Realtime; codes that hosted Realtime does not have are marked (local).
 */
export const ERROR_CODES = {
  TopicNameRequired: 'You must provide a topic name',
  UnmatchedTopic: 'unmatched topic',
  InvalidJWTToken: 'Fields `role` and `exp` are required in JWT',
  MalformedJWT: 'The token provided is not a valid JWT',
  JwtSignatureError: 'Failed to validate JWT signature',
  Unauthorized: 'You do not have permissions to read from this Channel topic',
  ChannelRateLimitReached: 'Too many channels',
  ClientJoinRateLimitReached: 'Too many joins per second',
  ConnectionRateLimitReached: 'Too many connected users',
  UnableToReplayMessages: 'Replay is not allowed for public channels',
  UnknownErrorOnChannel: 'Unknown Error on Channel',
  RealtimeRestarting: 'Realtime is restarting, please standby',
  UnableToConnectToProject: 'Realtime was unable to connect to the project database',
  /** (local) A frame that is not valid Phoenix JSON / binary; the socket is closed with 1007. */
  MalformedFrame: 'Frame could not be decoded',
  /** (local) The socket's send buffer exceeded maxSendBufferBytes; closed with 1008. */
  SlowConsumer: 'Send buffer limit exceeded',
  /** (local) Broadcast/presence payload above maxPayloadBytes (hosted: payload_size_exceeded). */
  PayloadTooLarge: 'Payload size exceeds the limit',
  /** Presence calls above presenceMaxCallsPerWindow. */
  ClientPresenceRateLimitReached: 'Client presence rate limit exceeded',
  InvalidPresencePayload: 'Presence track payload must be a map',
  /** Postgres changes could not be subscribed (table not in publication, bad filter…). */
  RealtimeDisabledForConfiguration: 'Unable to subscribe to changes with given parameters',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** `<Code>: <message>` as Realtime's `log_error` formats join error reasons. */
export function reason(code: ErrorCode, message: string = ERROR_CODES[code]): string {
  return `${code}: ${message}`;
}

/** WebSocket close codes the server uses. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  malformedFrame: 1007,
  policyViolation: 1008,
  tooLarge: 1009,
  serviceRestart: 1012,
} as const;
