/**
 * The feed-keys function's SQL: insert a key's row and its hash (one transaction with
 * the audit row), find a key's org, revoke (row locked first).
 */
import type { Sql, TransactionSql } from 'postgres';
import type { FeedKeyRecord } from '../../_shared/contract.ts';

const COLUMNS = 'id, org_id, name, key_prefix, rate_limit_per_minute, created_at, created_by, revoked_at, revoked_by, last_used_at';

export interface NewKeyRow {
  orgId: string;
  name: string;
  prefix: string;
  hash: Uint8Array;
  perMinute: number;
  actor: string | null;
}

export async function orgExists(tx: TransactionSql, orgId: string): Promise<boolean> {
  const [org] = await tx`select 1 from public.orgs where id = ${orgId}`;
  return org !== undefined;
}

/** Insert the key and its hash; null when the org already has an active key of that name. */
export async function insertFeedKey(tx: TransactionSql, k: NewKeyRow): Promise<FeedKeyRecord | null> {
  const [row] = await tx<FeedKeyRecord[]>`
    insert into public.feed_keys (org_id, name, key_prefix, rate_limit_per_minute, created_by)
    values (${k.orgId}, ${k.name}, ${k.prefix}, ${k.perMinute}, ${k.actor})
    on conflict (org_id, name) where revoked_at is null do nothing
    returning ${tx.unsafe(COLUMNS)}`;
  if (!row) return null;
  await tx`insert into public.feed_key_secrets (key_id, key_hash) values (${row.id}, ${k.hash})`;
  return row;
}

export async function findFeedKeyOrg(sql: Sql, id: string): Promise<string | null> {
  const [row] = await sql<{ org_id: string }[]>`select org_id from public.feed_keys where id = ${id}`;
  return row?.org_id ?? null;
}

export async function lockFeedKey(tx: TransactionSql, id: string): Promise<FeedKeyRecord | null> {
  const [row] = await tx<FeedKeyRecord[]>`select ${tx.unsafe(COLUMNS)} from public.feed_keys where id = ${id} for update`;
  return row ?? null;
}

export async function revokeFeedKey(tx: TransactionSql, id: string, actor: string | null): Promise<FeedKeyRecord> {
  const [row] = await tx<FeedKeyRecord[]>`
    update public.feed_keys set revoked_at = now(), revoked_by = ${actor} where id = ${id}
    returning ${tx.unsafe(COLUMNS)}`;
  return row!;
}
