/**
 * Feed keys (docs/functions.md "feed-keys", "ingest-feed"): the list is a REST read
 * under RLS (only the org's admins read `feed_keys`; the hashes are in a table no API
 * role can read); create and revoke go through the `feed-keys` edge function, which
 * checks the admin role and audits. `create` answers the key itself, this once.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type { FeedKeyCreated, FeedKeyRecord, FeedKeyRequest, FeedKeyRevoked } from '@hotwatch/client';
import { ApiError } from './api.ts';
import { invokeFunction } from './function-call.ts';

export type FeedKey = FeedKeyRecord;

export interface FeedKeysApi {
  /** The org's keys, newest first (revoked ones too, marked by `revoked_at`). */
  list(orgId: string): Promise<FeedKey[]>;
  create(orgId: string, name: string, ratePerMinute?: number): Promise<FeedKeyCreated>;
  revoke(id: string): Promise<FeedKeyRevoked>;
  /** Follow creations, revocations and last-used times (Realtime, RLS-filtered); returns the unsubscribe. */
  follow(orgId: string, onChange: () => void): () => void;
}

/** The URL a feed posts to (the same project's functions). */
export function ingestFeedUrl(supabaseUrl: string): string {
  return `${supabaseUrl.replace(/\/$/, '')}/functions/v1/ingest-feed`;
}

export function createFeedKeysApi(supabase: SupabaseClient): FeedKeysApi {
  const call = <T>(body: FeedKeyRequest): Promise<T> => invokeFunction<T>(supabase, 'feed-keys', body);
  return {
    async list(orgId) {
      const { data, error } = await supabase.from('feed_keys').select('*').eq('org_id', orgId).order('created_at', { ascending: false });
      if (error) throw new ApiError(error.message, error.code);
      return (data ?? []) as FeedKey[];
    },
    create: (orgId, name, ratePerMinute) =>
      call({ action: 'create', org_id: orgId, name, ...(ratePerMinute === undefined ? {} : { rate_limit_per_minute: ratePerMinute }) }),
    revoke: (id) => call({ action: 'revoke', id }),
    follow(orgId, onChange) {
      const channel = supabase.channel(`feed-keys-${orgId}-${Math.random().toString(36).slice(2)}`)
        .on('postgres_changes', { event: '*', schema: 'public', table: 'feed_keys', filter: `org_id=eq.${orgId}` }, () => onChange())
        .subscribe();
      return () => { void supabase.removeChannel(channel); };
    },
  };
}
