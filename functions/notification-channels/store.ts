/**
 * The channels' SQL. The URL and secret go to Vault as one secret per channel
 * (`vault.create_secret` / `vault.update_secret`, JSON {"url", "secret"}); the row keeps
 * only the Vault id and the receiver's origin for display.
 */
import type { Sql } from 'postgres';
import { encodeStoredSecret } from '../_shared/notifications/stored-secret.ts';

/** The columns every answer shows (never the secret, never the full URL). */
export interface ChannelRow {
  id: string;
  org_id: string;
  kind: string;
  name: string;
  target: string;
  rule: Record<string, unknown>;
  enabled: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

interface StoredChannel extends ChannelRow {
  secret_id: string;
}

export async function findChannel(sql: Sql, id: string): Promise<StoredChannel | undefined> {
  const [row] = await sql<StoredChannel[]>`select * from public.notification_channels where id = ${id}`;
  return row;
}

export function publicChannel(row: StoredChannel | ChannelRow): ChannelRow {
  const { id, org_id, kind, name, target, rule, enabled, created_by, created_at, updated_at } = row;
  return { id, org_id, kind, name, target, rule, enabled, created_by, created_at, updated_at };
}

export async function channelSecret(sql: Sql, secretId: string): Promise<string | null> {
  const [row] = await sql<Array<{ decrypted_secret: string | null }>>`select decrypted_secret from vault.decrypted_secrets where id = ${secretId}`;
  return row?.decrypted_secret ?? null;
}

export interface NewChannel {
  orgId: string;
  kind: string;
  name: string;
  url: string;
  target: string;
  secret: string;
  rule: Record<string, unknown>;
  enabled: boolean;
  createdBy: string | null;
}

export const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

export async function insertChannel(sql: Sql, c: NewChannel): Promise<ChannelRow> {
  return sql.begin(async (tx) => {
    const [fresh] = await tx<Array<{ id: string }>>`select gen_random_uuid() as id`;
    const id = fresh!.id;
    const [vaulted] = await tx<Array<{ secret_id: string }>>`
      select vault.create_secret(${encodeStoredSecret({ url: c.url, secret: c.secret })}, ${`notification_channel:${id}`},
                                 'URL and signing secret of a Hotwatch notification channel') as secret_id`;
    const secret_id = vaulted!.secret_id;
    const [row] = await tx<StoredChannel[]>`
      insert into public.notification_channels (id, org_id, kind, name, target, rule, enabled, secret_id, created_by)
      values (${id}, ${c.orgId}, ${c.kind}, ${c.name}, ${c.target}, ${tx.json(c.rule as never)}, ${c.enabled}, ${secret_id}, ${c.createdBy})
      returning *`;
    return publicChannel(row!);
  });
}

export interface ChannelChanges {
  name?: string;
  target?: string;
  rule?: Record<string, unknown>;
  enabled?: boolean;
  /** The new Vault secret text, when the URL or secret changes. */
  stored?: string;
}

export async function updateChannel(sql: Sql, current: StoredChannel, ch: ChannelChanges): Promise<ChannelRow> {
  return sql.begin(async (tx) => {
    if (ch.stored !== undefined) await tx`select vault.update_secret(${current.secret_id}::uuid, ${ch.stored})`;
    const [row] = await tx<StoredChannel[]>`
      update public.notification_channels
         set name = ${ch.name ?? current.name}, target = ${ch.target ?? current.target},
             rule = ${tx.json((ch.rule ?? current.rule) as never)}, enabled = ${ch.enabled ?? current.enabled}, updated_at = now()
       where id = ${current.id}
      returning *`;
    return publicChannel(row!);
  });
}

/** Delete the channel, its outbox and log (cascade) and its Vault secret. */
export async function deleteChannel(sql: Sql, current: StoredChannel): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from public.notification_channels where id = ${current.id}`;
    await tx`delete from vault.secrets where id = ${current.secret_id}`;
  });
}

export async function findOutboxRow(sql: Sql, id: string): Promise<{ id: string; org_id: string; status: string } | undefined> {
  const [row] = await sql<Array<{ id: string; org_id: string; status: string }>>`
    select id, org_id, status from public.notification_outbox where id = ${id}`;
  return row;
}

/** Queue a dead notification again (same Idempotency-Key, a fresh attempt budget) and wake the worker. */
export async function requeue(sql: Sql, id: string): Promise<Record<string, unknown> | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx`
      update public.notification_outbox
         set status = 'pending', attempts = 0, next_attempt_at = now(), queued_at = now(), claimed_until = null,
             finished_at = null, last_error = null
       where id = ${id} and status = 'dead'
      returning id, channel_id, alert_id, event, idempotency_key, status, queued_at`;
    if (row) await tx`select public.wake_notification_worker()`;
    return row;
  });
}
