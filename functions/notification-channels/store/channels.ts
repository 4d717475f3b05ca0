/**
 * The channels' SQL. The URL and secret go to Vault as one secret per channel
 * (`vault.create_secret` / `vault.update_secret`, JSON {"url", "secret"}); the row keeps
 * only the Vault id and the receiver's origin for display. Every change writes its
 * audit_log row (_shared/audit.ts) in its own transaction — never the URL or secret.
 */
import type { Sql } from 'postgres';
import { writeAudit } from '../../_shared/audit.ts';
import type { Caller } from '../../_shared/auth-claims.ts';
import { encodeStoredSecret } from '../../_shared/notifications/stored-secret.ts';

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
  addresses?: string[];
  rule: Record<string, unknown>;
  enabled: boolean;
  createdBy: string | null;
}

export async function insertChannel(sql: Sql, caller: Caller, c: NewChannel): Promise<ChannelRow> {
  return sql.begin(async (tx) => {
    const [fresh] = await tx<Array<{ id: string }>>`select gen_random_uuid() as id`;
    const id = fresh!.id;
    const [vaulted] = await tx<Array<{ secret_id: string }>>`
      select vault.create_secret(${encodeStoredSecret({ url: c.url, secret: c.secret, addresses: c.addresses })}, ${`notification_channel:${id}`},
                                 'URL and signing secret of a Hotwatch notification channel') as secret_id`;
    const secret_id = vaulted!.secret_id;
    const [row] = await tx<StoredChannel[]>`
      insert into public.notification_channels (id, org_id, kind, name, target, rule, enabled, secret_id, created_by)
      values (${id}, ${c.orgId}, ${c.kind}, ${c.name}, ${c.target}, ${tx.json(c.rule as never)}, ${c.enabled}, ${secret_id}, ${c.createdBy})
      returning *`;
    await writeAudit(tx, caller, {
      orgId: c.orgId, action: 'channel.create', targetType: 'notification_channel', targetId: id, before: null,
      after: { kind: c.kind, name: c.name, target: c.target, rule: c.rule as never, enabled: c.enabled },
    });
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
  /** Which of url/secret changed (audited as a fact, never as a value). */
  storedFields?: Array<'url' | 'secret' | 'addresses'>;
}

export async function updateChannel(sql: Sql, caller: Caller, current: StoredChannel, ch: ChannelChanges): Promise<ChannelRow> {
  return sql.begin(async (tx) => {
    if (ch.stored !== undefined) await tx`select vault.update_secret(${current.secret_id}::uuid, ${ch.stored})`;
    const [row] = await tx<StoredChannel[]>`
      update public.notification_channels
         set name = ${ch.name ?? current.name}, target = ${ch.target ?? current.target},
             rule = ${tx.json((ch.rule ?? current.rule) as never)}, enabled = ${ch.enabled ?? current.enabled}, updated_at = now()
       where id = ${current.id}
      returning *`;
    const before: Record<string, never> = {};
    const after: Record<string, never> = {};
    for (const k of ['name', 'target', 'rule', 'enabled'] as const) {
      if (ch[k] !== undefined) { before[k] = current[k] as never; after[k] = row![k] as never; }
    }
    for (const k of ch.storedFields ?? []) after[`${k}_changed`] = true as never;
    await writeAudit(tx, caller, { orgId: current.org_id, action: 'channel.update', targetType: 'notification_channel', targetId: current.id, before, after });
    return publicChannel(row!);
  });
}

/** Delete the channel, its outbox and log (cascade) and its Vault secret. */
export async function deleteChannel(sql: Sql, caller: Caller, current: StoredChannel): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from public.notification_channels where id = ${current.id}`;
    await tx`delete from vault.secrets where id = ${current.secret_id}`;
    await writeAudit(tx, caller, {
      orgId: current.org_id, action: 'channel.delete', targetType: 'notification_channel', targetId: current.id,
      before: { kind: current.kind, name: current.name, target: current.target }, after: null,
    });
  });
}

export async function findOutboxRow(sql: Sql, id: string): Promise<{ id: string; org_id: string; status: string } | undefined> {
  const [row] = await sql<Array<{ id: string; org_id: string; status: string }>>`
    select id, org_id, status from public.notification_outbox where id = ${id}`;
  return row;
}

/** Queue a dead notification again (same Idempotency-Key, a fresh attempt budget) and wake the worker. */
export async function requeue(sql: Sql, caller: Caller, orgId: string, id: string): Promise<Record<string, unknown> | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx`
      update public.notification_outbox
         set status = 'pending', attempts = 0, next_attempt_at = now(), queued_at = now(), claimed_until = null,
             finished_at = null, last_error = null
       where id = ${id} and status = 'dead'
      returning id, channel_id, alert_id, event, idempotency_key, status, queued_at`;
    if (row) {
      await writeAudit(tx, caller, { orgId, action: 'notification.resend', targetType: 'notification_outbox', targetId: id, before: { status: 'dead' }, after: { status: 'pending' } });
      await tx`select private.wake_notification_worker()`;
    }
    return row;
  });
}
