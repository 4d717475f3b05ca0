/**
 * The worker's SQL: reap, claim, record. Claims take the head of each (channel, alert)
 * queue only — a row whose predecessor for the same channel and alert is still pending
 * waits — with `for update skip locked`, so concurrent workers never take the same row
 * and an escalation is never sent before its firing.
 */
import type { Sql, TransactionSql } from 'postgres';
import { channelKind } from '../../_shared/notifications/kinds.ts';
import { matchingSilence, route, type Silence } from '../../_shared/notifications/rules.ts';
import { DELIVERY, truncate } from '../../_shared/notifications/retry.ts';
import { parseStoredSecret } from '../../_shared/notifications/stored-secret.ts';
import type { AlertSnapshot, Notification, NotificationEvent } from '../../_shared/notifications/types.ts';

export interface Job {
  outboxId: number;
  attempt: number;
  attemptId: number;
  /** When the row was (re)queued: its age counts from here. */
  queuedAt: Date;
  kind: string;
  url: string;
  secret: string;
  addresses?: string[];
  notification: Notification;
}

interface ClaimRow {
  id: string;
  org_id: string;
  channel_id: string;
  alert_id: string;
  event: NotificationEvent;
  idempotency_key: string;
  alert: AlertSnapshot;
  attempts: number;
  created_at: Date;
  queued_at: Date;
  kind: string;
  rule: unknown;
  enabled: boolean;
  secret_id: string;
  org_slug: string;
  org_name: string;
  center_lat: number | null;
  center_lng: number | null;
  radius_m: number | null;
}

const ms = (n: number): string => `${n} milliseconds`;

/** Rows out of attempts or age whose last claim has lapsed become dead. */
export async function reap(sql: Sql): Promise<number> {
  const dead = await sql`
    update public.notification_outbox
       set status = 'dead', finished_at = now(), claimed_until = null,
           last_error = coalesce(last_error, 'no confirmed answer') || case when attempts >= ${DELIVERY.maxAttempts}
                          then ' (attempts exhausted)' else ' (too old)' end
     where status = 'pending' and (claimed_until is null or claimed_until < now())
       and (attempts >= ${DELIVERY.maxAttempts} or queued_at < now() - ${ms(DELIVERY.maxAgeMs)}::interval)
    returning id`;
  if (dead.length > 0) await markUnconfirmed(sql, dead.map((r) => r.id as string));
  return dead.length;
}

async function markUnconfirmed(tx: Sql | TransactionSql, outboxIds: string[]): Promise<void> {
  await tx`update public.notification_attempts set outcome = 'unconfirmed', finished_at = now()
            where outbox_id = any(${outboxIds}::bigint[]) and outcome = 'sending'`;
}

export interface ClaimResult {
  jobs: Job[];
  excluded: number;
  silenced: number;
}

/** Claim up to `limit` due rows; rows the rule excludes or a silence covers are settled here, unsent. */
export async function claim(sql: Sql, limit: number, alertUrl: (alertId: string) => string): Promise<ClaimResult> {
  return sql.begin(async (tx) => {
    const rows = await tx<ClaimRow[]>`
      select o.id, o.org_id, o.channel_id, o.alert_id, o.event, o.idempotency_key, o.alert, o.attempts, o.created_at, o.queued_at,
             c.kind, c.rule, c.enabled, c.secret_id, g.slug as org_slug, g.name as org_name,
             h.center_lat, h.center_lng, h.radius_m
        from public.notification_outbox o
        join public.notification_channels c on c.id = o.channel_id
        join public.orgs g on g.id = o.org_id
        left join public.hotspots h on h.id = (o.alert ->> 'hotspot_id')::bigint
       where o.status = 'pending' and o.next_attempt_at <= now()
         and (o.claimed_until is null or o.claimed_until < now())
         and o.attempts < ${DELIVERY.maxAttempts}
         and not exists (select 1 from public.notification_outbox p
                          where p.channel_id = o.channel_id and p.alert_id = o.alert_id
                            and p.status = 'pending' and p.id < o.id)
       order by o.next_attempt_at, o.id
       limit ${limit}
       for update of o skip locked`;
    if (rows.length === 0) return { jobs: [], excluded: 0, silenced: 0 };
    await markUnconfirmed(tx, rows.map((r) => r.id));

    const orgs = [...new Set(rows.map((r) => r.org_id))];
    const silences = await tx<Array<Silence & { org_id: string }>>`
      select id, org_id, category, district, min_severity, starts_at, ends_at from public.silences
       where org_id = any(${orgs}::uuid[]) and ends_at > ${rows.reduce((m, r) => (r.created_at < m ? r.created_at : m), rows[0]!.created_at)}`;

    let excluded = 0;
    let silenced = 0;
    const send: ClaimRow[] = [];
    for (const r of rows) {
      const silence = matchingSilence(silences.filter((s) => s.org_id === r.org_id), r.alert, r.created_at);
      const routed = r.enabled ? route(r.rule, r.alert, r.event, channelKind(r.kind)?.mirrored) : { send: false as const, reason: 'channel disabled' };
      if (!routed.send) {
        excluded++;
        await tx`update public.notification_outbox set status = 'excluded', finished_at = now(), claimed_until = null,
                   last_error = ${routed.reason} where id = ${r.id}`;
      } else if (silence) {
        silenced++;
        await tx`update public.notification_outbox set status = 'silenced', finished_at = now(), claimed_until = null,
                   silence_id = ${silence.id} where id = ${r.id}`;
      } else {
        send.push(r);
      }
    }
    if (send.length === 0) return { jobs: [], excluded, silenced };

    const ids = send.map((r) => r.id);
    await tx`update public.notification_outbox set attempts = attempts + 1, claimed_until = now() + ${ms(DELIVERY.leaseMs)}::interval
              where id = any(${ids}::bigint[])`;
    const attempts = await tx<Array<{ id: string; outbox_id: string }>>`
      insert into public.notification_attempts (outbox_id, org_id, attempt)
      select o.id, o.org_id, o.attempts from public.notification_outbox o where o.id = any(${ids}::bigint[])
      returning id, outbox_id`;
    const secretIds = [...new Set(send.map((r) => r.secret_id))];
    const secrets = await tx<Array<{ id: string; decrypted_secret: string | null }>>`
      select id, decrypted_secret from vault.decrypted_secrets where id = any(${secretIds}::uuid[])`;
    const bySecret = new Map(secrets.map((s) => [s.id, s.decrypted_secret]));

    const jobs: Job[] = [];
    for (const r of send) {
      const stored = parseStoredSecret(bySecret.get(r.secret_id) ?? null);
      const attemptId = Number(attempts.find((a) => a.outbox_id === r.id)!.id);
      jobs.push({
        outboxId: Number(r.id), attempt: r.attempts + 1, attemptId, queuedAt: r.queued_at, kind: r.kind,
        url: stored?.url ?? '', secret: stored?.secret ?? '', addresses: stored?.addresses,
        notification: {
          event: r.event, idempotencyKey: r.idempotency_key,
          occurredAt: r.created_at.toISOString(),
          org: { id: r.org_id, slug: r.org_slug, name: r.org_name },
          alert: r.alert, alertUrl: alertUrl(r.alert_id),
          place: r.center_lat === null || r.center_lng === null ? null
            : { lat: Number(r.center_lat), lng: Number(r.center_lng), radius_m: Number(r.radius_m ?? 0) },
        },
      });
    }
    return { jobs, excluded, silenced };
  });
}

export interface AttemptRecord {
  outcome: 'delivered' | 'retry' | 'failed';
  httpStatus: number | null;
  latencyMs: number;
  response: string | null;
  error: string | null;
  /** retry: when to try again; dead when exhausted. */
  retryInMs?: number;
  dead?: boolean;
}

/**
 * Store an attempt's outcome. Delivered settles the row whoever holds it now; a failure
 * moves the row only if this attempt still holds the claim (a lapsed claim may have been
 * re-sent by another worker meanwhile).
 */
export async function record(sql: Sql, job: Job, r: AttemptRecord): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`update public.notification_attempts
                set outcome = ${r.outcome}, http_status = ${r.httpStatus}, latency_ms = ${r.latencyMs},
                    response = ${r.response === null ? null : truncate(r.response)},
                    error = ${r.error === null ? null : truncate(r.error)}, finished_at = now()
              where id = ${job.attemptId}`;
    if (r.outcome === 'delivered') {
      await tx`update public.notification_outbox set status = 'delivered', finished_at = now(), claimed_until = null, last_error = null
                where id = ${job.outboxId} and status = 'pending'`;
    } else if (r.outcome === 'failed' || r.dead) {
      await tx`update public.notification_outbox set status = 'dead', finished_at = now(), claimed_until = null, last_error = ${r.error}
                where id = ${job.outboxId} and status = 'pending' and attempts = ${job.attempt}`;
    } else {
      await tx`update public.notification_outbox
                  set claimed_until = null, last_error = ${r.error},
                      next_attempt_at = now() + ${ms(r.retryInMs ?? 0)}::interval
                where id = ${job.outboxId} and status = 'pending' and attempts = ${job.attempt}`;
    }
  });
}

/** When the next row comes due (a retry, a lapsing claim), if any. */
export async function nextDueAt(sql: Sql): Promise<Date | null> {
  const [row] = await sql<Array<{ at: Date | null }>>`
    select min(greatest(next_attempt_at, coalesce(claimed_until, next_attempt_at))) as at
      from public.notification_outbox o
     where status = 'pending'
       and not exists (select 1 from public.notification_outbox p
                        where p.channel_id = o.channel_id and p.alert_id = o.alert_id
                          and p.status = 'pending' and p.id < o.id)`;
  return row?.at ?? null;
}
