/**
 * ingest-feed's SQL: find a key by its prefix (with its hash, for the constant-time
 * check in the handler), and admit one request — the key's GCRA bucket
 * (public.feed_key_buckets, unlogged) and its last-used time in one statement.
 * last_used_at is written at most once a minute per key, so a busy feed does not
 * rewrite (and stream over Realtime) its metadata row on every request.
 */
import type { Sql } from 'postgres';
import type { Gcra } from '../rules/rate-limit.ts';

export interface FeedKeyRow {
  id: string;
  org_id: string;
  revoked: boolean;
  rate_limit_per_minute: number;
  key_hash: Uint8Array;
}

export async function findFeedKey(sql: Sql, prefix: string): Promise<FeedKeyRow | null> {
  const [row] = await sql<FeedKeyRow[]>`
    select k.id, k.org_id, k.revoked_at is not null as revoked, k.rate_limit_per_minute, s.key_hash
      from public.feed_keys k join public.feed_key_secrets s on s.key_id = k.id
     where k.key_prefix = ${prefix}`;
  return row ?? null;
}

/** Take one request from the key's bucket: admitted, or how long (ms) until one would be. */
export async function admitFeedRequest(sql: Sql, keyId: string, g: Gcra): Promise<{ admitted: true } | { admitted: false; waitMs: number }> {
  // The final select sees the bucket as it was before this statement: on refusal the
  // bucket is unchanged, so its tat is the current one. `used` runs whether or not it
  // is referenced (a data-modifying WITH always does), only when `take` admitted.
  const [row] = await sql<{ admitted: boolean; wait_ms: number | null }[]>`
    with take as (
      insert into public.feed_key_buckets as b (key_id, tat)
      values (${keyId}, now() + ${g.intervalMs}::float8 * interval '1 millisecond')
      on conflict (key_id) do update set tat = greatest(b.tat, now()) + ${g.intervalMs}::float8 * interval '1 millisecond'
        where greatest(b.tat, now()) - now() <= ${g.toleranceMs}::float8 * interval '1 millisecond'
      returning 1
    ), used as (
      update public.feed_keys set last_used_at = now()
       where id = ${keyId} and (last_used_at is null or last_used_at < now() - interval '1 minute')
         and exists (select 1 from take)
      returning 1
    )
    select exists (select 1 from take) as admitted,
           (select extract(epoch from (tat - now())) * 1000 - ${g.toleranceMs}::float8
              from public.feed_key_buckets where key_id = ${keyId})::float8 as wait_ms`;
  return row!.admitted ? { admitted: true } : { admitted: false, waitMs: row!.wait_ms ?? 0 };
}
