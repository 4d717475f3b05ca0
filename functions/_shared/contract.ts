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
  org_id?: string;
  /** `cron` is honoured from the service role only. */
  trigger?: 'http' | 'cron';
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
 * (jwt_expiry); with it, the account is banned (only for a member of no other org).
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

/** `{"action": "update", "org_id", ...fields}`: only the fields given change; `scan` merges into the stored thresholds; `area: null` clears the area. */
export interface OrgSettingsUpdateRequest {
  action: 'update';
  org_id: string;
  area?: Tables['org_settings']['Row']['area'];
  districts?: Tables['org_settings']['Row']['districts'];
  time_zone?: string;
  categories?: Tables['org_settings']['Row']['categories'];
  scan?: Tables['org_settings']['Row']['scan'];
  map?: MapSettings;
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

/** The org's settings after the update, without the (large) cell list: its size instead. */
export type OrgSettingsResult = Omit<Tables['org_settings']['Row'], 'area_cells'> & { area_cell_count: number; changed: string[] };
