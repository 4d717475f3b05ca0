/**
 * The notification calls (docs/functions.md "Notifications"). Reads are REST under RLS:
 * every member reads the org's channels (never a URL or secret: both are in Vault) and
 * silences; only admins read the delivery log (`notification_outbox`,
 * `notification_attempts`). Silences are written over REST too (RLS lets admins and
 * operators insert, and end one early by moving `ends_at`); every channel change, the
 * test send and the re-send go through the `notification-channels` edge function.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { ApiError } from './api.ts';
import { invokeFunction } from './function-call.ts';
import type { Severity } from './types.ts';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

export const NOTIFICATION_EVENTS = ['fired', 'escalated', 'grew', 'acknowledged', 'resolved'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface ChannelRule {
  min_severity?: Severity;
  categories?: string[];
  events?: NotificationEvent[];
  districts?: string[];
}

export interface Channel {
  id: string;
  kind: string;
  name: string;
  /** The receiver's origin, for display (the full URL is in Vault). */
  target: string;
  rule: ChannelRule;
  enabled: boolean;
  created_at: string;
}

export const CHANNEL_KINDS = ['webhook', 'slack', 'teams', 'pagerduty', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** What a kind takes (functions/_shared/notifications/<kind>.ts checks it again): url, secret, addresses. */
export interface NewChannel {
  kind: ChannelKind;
  name: string;
  url?: string;
  secret?: string;
  addresses?: string[];
  rule: ChannelRule;
}

export interface TestResult {
  delivered: boolean;
  http_status: number | null;
  latency_ms: number;
  response: string | null;
  error: string | null;
}

export interface Attempt {
  id: number;
  outbox_id: number;
  attempt: number;
  outcome: string;
  http_status: number | null;
  latency_ms: number | null;
  response: string | null;
  error: string | null;
  started_at: string;
}

export interface Delivery {
  id: number;
  channel_id: string;
  alert_id: number;
  event: string;
  status: 'pending' | 'delivered' | 'dead' | 'silenced' | 'excluded';
  attempts: number;
  last_error: string | null;
  created_at: string;
  log: Attempt[];
}

export interface Silence {
  id: string;
  category: string | null;
  district: string | null;
  min_severity: Severity | null;
  starts_at: string;
  ends_at: string;
  reason: string;
}

export type NewSilence = Omit<Silence, 'id'>;

export interface NotificationsApi {
  channels(orgId: string): Promise<Channel[]>;
  createChannel(orgId: string, c: NewChannel): Promise<{ channel: Channel; secret?: string }>;
  testChannel(channelId: string): Promise<TestResult>;
  deleteChannel(channelId: string): Promise<void>;
  deliveries(orgId: string, limit?: number): Promise<Delivery[]>;
  resend(outboxId: number): Promise<void>;
  /** Silences not yet ended (current and scheduled), soonest first. */
  silences(orgId: string): Promise<Silence[]>;
  createSilence(orgId: string, s: NewSilence): Promise<void>;
  endSilence(id: string): Promise<void>;
}

const CHANNEL_COLUMNS = 'id, kind, name, target, rule, enabled, created_at';
const SILENCE_COLUMNS = 'id, category, district, min_severity, starts_at, ends_at, reason';

function check<T>(r: { data: T | null; error: { message: string; code: string } | null }): T {
  if (r.error) throw new ApiError(r.error.message, r.error.code);
  return r.data as T;
}

export function createNotificationsApi(supabase: SupabaseClient): NotificationsApi {
  const call = <T>(body: object): Promise<T> => invokeFunction<T>(supabase, 'notification-channels', body);
  return {
    async channels(orgId) {
      return check(await supabase.from('notification_channels').select(CHANNEL_COLUMNS).eq('org_id', orgId).order('name')) as Channel[];
    },
    createChannel: (orgId, c) => call({ action: 'create', org_id: orgId, ...c }),
    testChannel: (channelId) => call({ action: 'test', channel_id: channelId }),
    async deleteChannel(channelId) { await call({ action: 'delete', channel_id: channelId }); },
    async deliveries(orgId, limit = 50) {
      const rows = check(await supabase.from('notification_outbox')
        .select('id, channel_id, alert_id, event, status, attempts, last_error, created_at')
        .eq('org_id', orgId).order('id', { ascending: false }).limit(limit)) as Array<Omit<Delivery, 'log'>>;
      if (rows.length === 0) return [];
      const attempts = check(await supabase.from('notification_attempts')
        .select('id, outbox_id, attempt, outcome, http_status, latency_ms, response, error, started_at')
        .in('outbox_id', rows.map((r) => r.id)).order('id')) as Attempt[];
      return rows.map((r) => ({ ...r, log: attempts.filter((a) => a.outbox_id === r.id) }));
    },
    async resend(outboxId) { await call({ action: 'resend', outbox_id: outboxId }); },
    async silences(orgId) {
      return check(await supabase.from('silences').select(SILENCE_COLUMNS)
        .eq('org_id', orgId).gt('ends_at', new Date().toISOString()).order('starts_at')) as Silence[];
    },
    async createSilence(orgId, s) {
      check(await supabase.from('silences').insert({ org_id: orgId, ...s }));
    },
    async endSilence(id) {
      check(await supabase.from('silences').update({ ends_at: new Date().toISOString() }).eq('id', id));
    },
  };
}
