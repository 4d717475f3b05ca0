/** Public types: streams, rows typed from the generated Database types, events, options. */
import type { Database } from './database.types.ts';
import type { HotwatchError } from './errors.ts';

type PublicSchema = Database['public'];
export type StreamName = PublicSchema['Enums']['stream_name'];
export const STREAMS: readonly StreamName[] = ['hotspots', 'alerts', 'recommendations'];

export type Severity = PublicSchema['Enums']['severity'];
export type HotspotStatus = PublicSchema['Enums']['hotspot_status'];
export type AlertState = PublicSchema['Enums']['alert_state'];
export type RecommendationStatus = PublicSchema['Enums']['recommendation_status'];

/** A stream row as delivered: `tx_id` (xid8) arrives as text. */
export type StreamRow<S extends StreamName> = Omit<PublicSchema['Tables'][S]['Row'], 'tx_id'> & { tx_id: string };
export type HotspotRow = StreamRow<'hotspots'>;
export type AlertRow = StreamRow<'alerts'>;
export type RecommendationRow = StreamRow<'recommendations'>;

/** The lifecycle value a stream's `status` filter matches (alerts call it `state`). */
export type LifecycleOf<S extends StreamName> = S extends 'hotspots' ? HotspotStatus
  : S extends 'alerts' ? AlertState : RecommendationStatus;

/**
 * Opaque resume position: a PostgreSQL transaction id (xid8) taken as the xmin of the
 * snapshot that produced a resume page. Rows written by transactions at or after it
 * may not have been seen yet.
 */
export type StreamCursor = string & { readonly __brand: 'StreamCursor' };

export type ConnectionStatus = 'connecting' | 'live' | 'catching-up' | 'reconnecting' | 'offline';

/** Where a delivered row version came from. */
export type RowSource = 'snapshot' | 'catch-up' | 'live';

export type StreamEvent<S extends StreamName = StreamName> =
  /** A row entered the view or moved to a newer version. */
  | { type: 'upsert'; stream: S; row: StreamRow<S>; source: RowSource }
  /** The row's latest version no longer matches the subscription's filters. */
  | { type: 'removed'; stream: S; id: number; row: StreamRow<S> }
  /** The subscription's connection status changed (`error` set when a failure caused it). */
  | { type: 'status'; stream: S; status: ConnectionStatus; error?: HotwatchError };

export type Transport = 'postgres_changes' | 'broadcast';

export interface SubscribeOptions<S extends StreamName = StreamName> {
  /** Only rows of this org (server-side filter; required for the broadcast transport). */
  orgId?: string;
  /** Only rows of this category (server-side where possible; never changes on a row). */
  category?: string;
  /** Lifecycle values to keep (`status`, or `state` for alerts); applied after merging. */
  status?: ReadonlyArray<LifecycleOf<S>>;
  /** Severities to keep (hotspots and alerts); applied after merging. */
  severity?: S extends 'recommendations' ? never : ReadonlyArray<Severity>;
  /** Failures of this subscription (also reported as `status` events). */
  onError?: (error: HotwatchError) => void;
}

export type StreamHandler<S extends StreamName> = (event: StreamEvent<S>) => void;
