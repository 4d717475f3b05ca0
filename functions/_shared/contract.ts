/**
 * The functions' request and response bodies, one definition each — what
 * `ingest-events`, `hotspot-scan` and `decisions` accept and answer (docs/functions.md)
 * and what the coming admin functions add. Types only, plain TypeScript: `npm run
 * gen:types` copies this file into client-sdk/src/contract.ts beside the SDK's own
 * database.types.ts, and tests/integration/data-model/types-drift.test.ts fails when
 * the copy drifts. Import nothing but `./database.types.ts` (both copies have it).
 *
 * Rows are typed from the generated `Database` types, as the functions send them:
 * postgres.js returns bigint (int8) and xid8 columns as text.
 */
import type { Database } from './database.types.ts';

type Tables = Database['public']['Tables'];
type Enums = Database['public']['Enums'];

/** The bigint columns of the rows the functions return (sent as text). */
interface BigintColumns {
  alerts: 'id' | 'hotspot_id';
  recommendations: 'id' | 'alert_id' | 'hotspot_id';
  decisions: 'id' | 'recommendation_id' | 'alert_id';
}

/** A table row as a function answers it: bigint ids and `tx_id` as text. */
export type SentRow<T extends keyof BigintColumns> = {
  [K in keyof Tables[T]['Row']]: K extends BigintColumns[T] ? (null extends Tables[T]['Row'][K] ? string | null : string)
    : K extends 'tx_id' ? string
    : Tables[T]['Row'][K];
};

/** A field-level problem in a request (`path` in dotted/bracket form, e.g. `events[3].lat`). */
export interface FieldError {
  path: string;
  code: string;
  message: string;
}

/** Every error body: `{ error: { code, message, ...details } }` (status from the code). */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

// ── ingest-events ──────────────────────────────────────────────────────────────

/** One event as `ingest-events` accepts it. */
export interface IngestEvent {
  source: string;
  external_id: string;
  category: string;
  /** ISO 8601 with a time zone. */
  occurred_at: string;
  lat: number;
  lng: number;
  weight?: number;
  attributes?: Record<string, unknown>;
}

export interface IngestRequest {
  /** Optional for a user with exactly one org where they may ingest. */
  org_id?: string;
  events: IngestEvent[];
  /** Refuse the whole batch when any event is invalid (default: store the valid ones). */
  atomic?: boolean;
}

export interface IngestResult {
  org_id: string;
  received: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Valid events (stored or duplicate) whose cell is outside the org's area (0 without an area); they are stored with outside_area = true. */
  outside_area: number;
  errors: Array<FieldError & { index: number }>;
  errors_truncated: boolean;
}

// ── hotspot-scan ───────────────────────────────────────────────────────────────

/** What started a scan run (`scan_runs.trigger`). */
export type ScanTrigger = 'cron' | 'http' | 'manual';

export interface ScanRequest {
  /** Without it, the service role's `cron` request starts a schedule round (202). */
  org_id?: string;
  /** `cron` is honoured from the service role only. */
  trigger?: 'http' | 'cron';
  /** A schedule round: answer with its figures when it ends instead of 202 at once. */
  wait?: boolean;
}

/** What one schedule round did (docs/functions.md "The schedule"). */
export interface ScanDispatchStats {
  /** Orgs claimed and scanned, and how their scans ended. */
  scanned: number;
  succeeded: number;
  skipped: number;
  failed: number;
  /** Runs of any org found abandoned and marked failed. */
  abandoned: number;
  /** News rows of unscheduled orgs dropped. */
  dropped_news: number;
  ms: number;
}

/** Rows written by one scan, per stream. */
export interface ScanCounts {
  hotspots: { inserted: number; updated: number; resolved: number };
  alerts: { inserted: number; updated: number; fired: number; escalated: number; renotified: number; resolved: number };
  recommendations: { inserted: number; superseded: number };
}

/** The engine's figures for one event category. */
export interface ScanCategoryStats {
  model: string;
  modelReason: string;
  casesInWindow: number;
  historyCases: number;
  universeCells: number;
  clusters: number;
  significant: number;
  replications: number;
  earlyStopped: boolean;
  budgetExhausted: boolean;
  engineMs: number;
}

export interface ScanResult extends ScanCounts {
  scan_id: number;
  org_id: string;
  trigger: ScanTrigger;
  /** A failed scan answers an error instead (and its scan_runs row says `failed`). */
  status: Extract<Enums['scan_status'], 'succeeded' | 'skipped'>;
  skipped_reason?: string;
  detections: number;
  cube_rows: number;
  categories: Record<string, ScanCategoryStats>;
  /** Categories whose engine call failed, with the error message. */
  failed_categories: Record<string, string>;
  timings_ms: { read: number; compute: number; retrieve: number; write: number; total: number };
  cpu_ms: number;
}

// ── decisions ──────────────────────────────────────────────────────────────────

/** Ids may be sent as numbers or digit strings. */
type Id = number | string;

export type DecisionRequest =
  | { action: 'approve'; recommendation_id: Id; reason?: string }
  | { action: 'reject'; recommendation_id: Id; reason: string }
  | { action: 'acknowledge'; alert_id: Id; reason?: string }
  | { action: 'resolve'; alert_id: Id; reason?: string };

/** The audit row a decision wrote to `public.decisions`. */
export type DecisionRecord = Pick<SentRow<'decisions'>, 'id' | 'action' | 'from_status' | 'to_status' | 'reason' | 'actor' | 'created_at'>;

/** approve / reject. Approving also acknowledges the alert when it was pending or firing. */
export interface RecommendationDecisionResult {
  decision: DecisionRecord;
  recommendation: SentRow<'recommendations'>;
  alert: SentRow<'alerts'> | null;
}

/** acknowledge / resolve. Resolving supersedes the alert's pending recommendations. */
export interface AlertDecisionResult {
  decision: DecisionRecord;
  alert: SentRow<'alerts'>;
  superseded_recommendations: number;
}

export type DecisionResult = RecommendationDecisionResult | AlertDecisionResult;

// ── members ────────────────────────────────────────────────────────────────────

export type MemberRoleName = Enums['member_role'];

export type MembersRequest =
  | { action: 'invite'; org_id: string; email: string; role: MemberRoleName; name?: string; redirect_to?: string }
  | { action: 'resend'; org_id: string; invitation_id: string; redirect_to?: string }
  | { action: 'revoke'; org_id: string; invitation_id: string }
  | { action: 'change_role'; org_id: string; user_id: string; role: MemberRoleName }
  | { action: 'remove'; org_id: string; user_id: string; cut_off?: boolean }
  | { action: 'accept' };

/** An invitation as the function answers it (`status` as listed: pending past its link's expiry is expired). */
export type InvitationRecord = Pick<Tables['invitations']['Row'],
  'id' | 'org_id' | 'email' | 'role' | 'invited_by' | 'status' | 'link_type' | 'sent_at' | 'send_count' | 'expires_at' | 'accepted_at' | 'revoked_at'>;

/** invite / resend / revoke. `link_type`: `invite` for a new address, `magiclink` for an existing account. */
export interface InvitationResult {
  invitation: InvitationRecord;
}

/** change_role: the new role reaches the member's token at its next refresh, at the latest `effective_by`. */
export interface RoleChangeResult {
  org_id: string;
  user_id: string;
  before: MemberRoleName;
  role: MemberRoleName;
  changed: boolean;
  effective_by: string;
}

/**
 * remove: the membership is gone and the member's refresh tokens revoked. Without
 * `cut_off`, a token issued before may read the org until `access_window_ends_at`
 * (jwt_expiry); with it, the account is banned (only for a member of no other org) and
 * its tokens reach nothing from now on (`access_window_ends_at` null).
 */
export interface RemovalResult {
  org_id: string;
  user_id: string;
  role: MemberRoleName;
  sessions_revoked: number;
  cut_off: boolean;
  access_window_ends_at: string | null;
}

/** accept: the orgs the caller joined; refresh the session to carry them in the token. */
export interface AcceptResult {
  accepted: Array<{ invitation_id: string; org_id: string; role: MemberRoleName }>;
}

// ── playbooks ──────────────────────────────────────────────────────────────────

/** A playbook's editable fields (create: all but `tags` and `slug` required). */
export interface PlaybookFields {
  title: string;
  /** Derived from the title when omitted on create. */
  slug?: string;
  category: string;
  severities: Array<Enums['severity']>;
  tags?: string[];
  summary: string;
  body: string;
  steps: string[];
}

export type PlaybookRequest =
  | { action: 'create'; org_id: string; playbook: PlaybookFields }
  | { action: 'update'; id: string; playbook: Partial<PlaybookFields> }
  | { action: 'retire'; id: string }
  | { action: 'restore'; id: string }
  | { action: 'hide'; org_id: string; playbook_id: string }
  | { action: 'unhide'; org_id: string; playbook_id: string };

/** A playbook as the function answers it (the search vector left out; timestamps as ISO text). */
export type PlaybookRecord = Omit<Tables['playbooks']['Row'], 'fts'>;

export interface PlaybookResult {
  playbook: PlaybookRecord | null;
  /** hide / unhide: whether the call changed anything (false: it already was so). */
  changed: boolean;
}

// ── org-settings ───────────────────────────────────────────────────────────────

/** An org's event category as its settings name it (org_settings.categories). */
export interface CategorySetting {
  /** The events' `category` value. */
  key: string;
  /** How it reads in a sentence (lowercase mid-sentence; capitalised at a sentence start). */
  label: string;
  /** `#rrggbb` */
  colour: string;
  enabled: boolean;
}

/** Scan thresholds (snake_case as stored). Windows and ages in hours: the cube is hourly. */
export interface ScanSettings {
  /** Whether the per-minute schedule scans this org (HTTP scans always run). */
  scheduled: boolean;
  /** Longest prospective window, in hours. */
  max_window_hours: number;
  /** A category is scanned only with at least this many cases in the window. */
  min_cases: number;
  /** Severity tiers as minimum recurrence intervals, in days (non-decreasing). */
  severity_days: { low: number; medium: number; high: number; critical: number };
  /** History read for baselines, in days. */
  max_history_days: number;
  /** Largest H3 ring radius of the disk zones. */
  max_ring_k: number;
  max_clusters_per_category: number;
  resolve_after_quiet_hours: number;
  fire_after_detections: number;
  confirm_spacing_seconds: number;
  fire_immediately_at: Enums['severity'];
  growth_factor: number;
  min_growth_cases: number;
  recommendations_per_alert: number;
}

/** `{"action": "update", "org_id", ...fields}`: only the fields given change; `scan` merges into the stored thresholds; `area: null` clears the area. */
export interface OrgSettingsUpdateRequest {
  action: 'update';
  org_id: string;
  area?: Tables['org_settings']['Row']['area'];
  districts?: Tables['org_settings']['Row']['districts'];
  time_zone?: string;
  categories?: CategorySetting[];
  scan?: Partial<ScanSettings>;
  map?: MapSettings;
  /** Days raw events are kept (1–36,500); null keeps them forever (the default). */
  retention_days?: number | null;
}

/** Where the dashboard's basemap comes from: nothing (a neutral background), a MapLibre style URL, or a PMTiles archive in the `basemaps` bucket under `<org_id>/`. */
export type BasemapSource =
  | { kind: 'none' }
  | { kind: 'style'; url: string }
  | { kind: 'pmtiles'; path: string };

/** `org_settings.map` as the org-settings function accepts it. */
export interface MapSettings {
  basemap?: BasemapSource;
}

/** The org's settings after the update; the area's cells (public.org_area_cells, large) as their count. */
export type OrgSettingsResult = Tables['org_settings']['Row'] & { area_cell_count: number; changed: string[] };

// ── hotspot-series ─────────────────────────────────────────────────────────────

/** `{ hotspot_id, hours?, until? }`: the chart of one hotspot's cells over `hours` (1–168, default 48) ending at `until` (default now). */
export interface HotspotSeriesRequest {
  hotspot_id: Id;
  hours?: number;
  until?: string;
}

/** One hour of the hotspot's cells: observed events, the scan's expected count and its 95 % Poisson band. */
export interface HotspotSeriesPoint {
  /** Start of the hour (ISO). */
  t: string;
  observed: number;
  expected: number;
  /** 2.5 % and 97.5 % quantiles of Poisson(expected). */
  low: number;
  high: number;
  /** The scan's model for that hour: `permutation` while the org has under a week of history (then `expected` is the EBP estimate the engine would use, not the permutation expectation). */
  model: 'ebp' | 'permutation';
}

export interface HotspotSeriesResult {
  hotspot_id: string;
  category: string;
  cells: string[];
  window_start: string;
  window_end: string;
  /** Chart range [from, to): whole hours; the last one may be the current, incomplete hour (its expected prorated as the scan does). */
  from: string;
  to: string;
  until: string;
  bucket_ms: number;
  band: { kind: 'poisson'; level: 0.95 };
  points: HotspotSeriesPoint[];
  /** Engine time for the baselines (ms). */
  engine_ms: number;
}

// ── feed-keys / ingest-feed ───────────────────────────────────────────────────

/**
 * `create`: a new key for an automated feed of the org (its `key` is in the answer, once).
 * `revoke`: the key stops working at once (idempotent: `changed: false` when it already was).
 * ingest-feed then takes the same body as ingest-events (IngestRequest; `org_id` optional,
 * and must be the key's org when given) and answers IngestResult.
 */
export type FeedKeyRequest =
  | { action: 'create'; org_id: string; name: string; rate_limit_per_minute?: number }
  | { action: 'revoke'; id: string };

/** A feed key's metadata, as the table (and REST) hold it: never the key or its hash. */
export type FeedKeyRecord = Tables['feed_keys']['Row'];

export interface FeedKeyCreated {
  feed_key: FeedKeyRecord;
  /** The key itself (`hwfk_…`): shown this once, stored only as its SHA-256. */
  key: string;
}

export interface FeedKeyRevoked {
  feed_key: FeedKeyRecord;
  changed: boolean;
}

// ── events-admin ───────────────────────────────────────────────────────────────

/**
 * `{"action": "erase", "org_id", …}`: erase the named events of the org, either by
 * `source` + `external_ids`, or by `from`/`to` (occurred_at, [from, to)) and an area —
 * `area` (GeoJSON Polygon/MultiPolygon: the events whose point lies inside) or `cells`
 * (H3 cells of resolution 0–9: the events in them) — optionally one `category`.
 * `reason` is kept in the audit row.
 */
export type EraseEventsRequest = {
  action: 'erase';
  org_id: string;
  reason?: string;
} & (
  | { source: string; external_ids: string[] }
  | { from: string; to: string; area: Tables['org_settings']['Row']['area']; category?: string }
  | { from: string; to: string; cells: string[]; category?: string }
);

export interface EraseEventsResult {
  /** Events deleted (the count cube was corrected in the same transaction). */
  erased: number;
  /** By ids: the external ids the org had no event for. */
  not_found?: string[];
}
