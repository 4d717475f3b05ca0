/**
 * @hotwatch/client — typed, gap-free live streams of Hotwatch hotspots, alerts and
 * recommendations over supabase-js, plus the function helpers. See docs/sdk.md.
 */
export { createHotwatch, Hotwatch, type FeedInfo, type HotwatchClientInput, type HotwatchOptions } from './client.ts';
export type { AccessTokenProvider } from './auth.ts';
export { RetryDefaults, type RetryOptions } from './backoff.ts';
export {
  ConflictError, ForbiddenError, HotwatchError, NotFoundError, RateLimitedError, SDK_ERROR_CODES, UnauthorizedError, ValidationError,
  type FieldError,
} from './errors.ts';
export type { FunctionResult, IngestOptions } from './actions.ts';
export type {
  AlertDecisionResult, DecisionRecord, DecisionRequest, DecisionResult, ErrorBody, IngestEvent, IngestRequest, IngestResult,
  PlaybookFields, PlaybookRecord, PlaybookRequest, PlaybookResult,
  RecommendationDecisionResult, ScanCategoryStats, ScanCounts, ScanRequest, ScanResult, ScanTrigger, SentRow,
  AcceptResult, InvitationRecord, InvitationResult, MembersRequest, RemovalResult, RoleChangeResult,
  HotspotSeriesPoint, HotspotSeriesRequest, HotspotSeriesResult,
  CategorySetting, OrgSettingsResult, OrgSettingsUpdateRequest, ScanSettings,
} from './contract.ts';
export type { FeedKeyCreated, FeedKeyRecord, FeedKeyRequest, FeedKeyRevoked } from './contract.ts';
export type { FeedStats } from './feed.ts';
export { createStreamStore, type StreamSnapshot, type StreamStore } from './stream-store.ts';
export type { SupabaseLike } from './supabase-types.ts';
export type { Database, Json } from './database.types.ts';
export {
  STREAMS,
  type AlertRow, type AlertState, type ConnectionStatus, type HotspotRow, type HotspotStatus, type LifecycleOf, type RecommendationRow,
  type RecommendationStatus, type RowSource, type Severity, type StreamCursor, type StreamEvent, type StreamHandler, type StreamName,
  type StreamRow, type SubscribeOptions, type Transport,
} from './types.ts';
export type { BasemapSource, MapSettings } from './contract.ts';
