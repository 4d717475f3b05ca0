-- Notifications, part 1 (docs/functions.md "Notifications"): channels per org, a durable
-- outbox written in the alert's own transaction, the delivery log, and silences.
--
-- Writes to channels go through the notification-channels edge function (admins only);
-- the outbox and attempts are written by the alerts trigger and the notification-worker
-- function. Members read that channels exist; only admins read the delivery log; admins
-- and operators create silences over REST. A channel's URL and signing secret live in
-- Vault (one secret per channel, JSON {"url", "secret"}): a receiver URL can itself be a
-- credential (Slack and Teams webhook URLs are), so neither is ever a column here.

create extension if not exists supabase_vault with schema vault;

create table public.notification_channels (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  -- The body format and answer handling; the kinds are registered in
  -- functions/_shared/notifications/kinds.ts (part 2 adds slack, teams, pagerduty, email).
  kind text not null check (kind ~ '^[a-z][a-z0-9_]{1,30}$'),
  name text not null check (length(name) between 1 and 200),
  -- scheme://host[:port] of the receiver, for display only (the full URL is in Vault).
  target text not null check (length(target) <= 300),
  rule jsonb not null default '{}'::jsonb check (jsonb_typeof(rule) = 'object'),
  enabled boolean not null default true,
  secret_id uuid not null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint notification_channels_org_name_key unique (org_id, name)
);
comment on table public.notification_channels is
  'Where an org''s alert notifications go. URL and signing secret are in Vault (secret_id); written only by the notification-channels function.';
comment on column public.notification_channels.rule is
  'Routing rule: {min_severity?, categories?, events?, districts?} (functions/_shared/notifications/rules.ts).';

create table public.notification_outbox (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id) on delete cascade,
  channel_id uuid not null references public.notification_channels (id) on delete cascade,
  alert_id bigint not null references public.alerts (id),
  event text not null check (event in ('fired', 'escalated', 'grew', 'acknowledged', 'resolved')),
  -- Identical across retries and resends: one per (alert, event occurrence).
  idempotency_key text not null,
  -- The alert as it was when the event happened (the body is built from it).
  alert jsonb not null,
  status text not null default 'pending'
    check (status in ('pending', 'delivered', 'dead', 'silenced', 'excluded')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  -- A claimed send not confirmed by then is sent again (the worker died or hung).
  claimed_until timestamptz,
  silence_id uuid,
  last_error text,
  created_at timestamptz not null default now(),
  -- When the row was queued or re-sent by an admin; the maximum age counts from here.
  queued_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint notification_outbox_channel_key unique (channel_id, idempotency_key)
);
comment on table public.notification_outbox is
  'One row per (channel, alert, event), written by the alerts trigger in the alert change''s transaction; the durable delivery record.';
create index notification_outbox_due_idx on public.notification_outbox (next_attempt_at, id) where status = 'pending';
create index notification_outbox_order_idx on public.notification_outbox (channel_id, alert_id, id) where status = 'pending';
create index notification_outbox_org_idx on public.notification_outbox (org_id, id);
create index notification_outbox_alert_idx on public.notification_outbox (alert_id);

create table public.notification_attempts (
  id bigint generated always as identity primary key,
  outbox_id bigint not null references public.notification_outbox (id) on delete cascade,
  org_id uuid not null references public.orgs (id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  outcome text not null default 'sending'
    check (outcome in ('sending', 'delivered', 'retry', 'failed', 'unconfirmed')),
  http_status integer,
  latency_ms double precision,
  -- The receiver's answer, truncated (functions/_shared/notifications/retry.ts).
  response text check (length(response) <= 1000),
  error text check (length(error) <= 1000),
  started_at timestamptz not null default now(),
  finished_at timestamptz
);
comment on table public.notification_attempts is 'Every send attempt of an outbox row: outcome, HTTP status, latency, the answer truncated.';
create index notification_attempts_outbox_idx on public.notification_attempts (outbox_id, id);
create index notification_attempts_org_idx on public.notification_attempts (org_id, id);

create table public.silences (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.orgs (id) on delete cascade,
  -- Matchers; null matches anything. min_severity matches alerts at or above it.
  category text check (length(category) between 1 and 100),
  district text check (length(district) between 1 and 500),
  min_severity public.severity,
  starts_at timestamptz not null default now(),
  ends_at timestamptz not null,
  reason text not null check (length(btrim(reason)) between 1 and 2000),
  created_by uuid not null default auth.uid() references auth.users (id),
  created_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
comment on table public.silences is
  'Notifications matching an active silence are recorded as silenced, not sent. Admins and operators create and end them over REST.';
create index silences_org_active_idx on public.silences (org_id, ends_at);

alter table public.notification_channels enable row level security;
alter table public.notification_outbox enable row level security;
alter table public.notification_attempts enable row level security;
alter table public.silences enable row level security;

create policy "members read their orgs' channels" on public.notification_channels
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
create policy "admins read their orgs' outbox" on public.notification_outbox
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) = 'admin');
create policy "admins read their orgs' attempts" on public.notification_attempts
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) = 'admin');
create policy "members read their orgs' silences" on public.silences
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);
create policy "operators create silences as themselves" on public.silences
  for insert to authenticated
  with check (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) in ('operator', 'admin')
              and created_by = (select auth.uid()));
create policy "operators change their orgs' silences" on public.silences
  for update to authenticated
  using (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) in ('operator', 'admin'))
  with check (((select auth.jwt()) -> 'org_roles' ->> (org_id)::text) in ('operator', 'admin'));

revoke insert, update, delete, truncate on public.notification_channels, public.notification_outbox,
  public.notification_attempts from anon, authenticated;
-- Silences are history: end one early by moving ends_at, never delete it; who created it stays.
revoke delete, truncate on public.silences from anon, authenticated;
revoke insert, update on public.silences from anon;

-- Who created a silence, for which org and when, never changes (a column revoke would
-- not bite while the table-level UPDATE grant stands).
create or replace function public.silences_keep_identity()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.org_id <> old.org_id or new.created_by <> old.created_by or new.created_at <> old.created_at then
    raise exception 'a silence''s org_id, created_by and created_at cannot change'
      using errcode = '42501';
  end if;
  return new;
end;
$$;
create trigger silences_keep_identity before update on public.silences
  for each row execute function public.silences_keep_identity();

-- The trigger and wake-up functions read Vault and call pg_net, so they live in a schema
-- the API does not expose (Supabase's advice for security definer functions): no REST
-- path reaches them, and no role but the owner may use the schema.
create schema if not exists private;
revoke all on schema private from public, anon, authenticated;

-- Which notification events an alert change is (docs/functions.md "Notifications"). The
-- scan bumps notify_count exactly when it notifies (fired, escalated or grew —
-- functions' alert state machine): the first notification is `fired`, one with a higher
-- notified_severity than before `escalated`, any other `grew`. Acknowledging and
-- resolving are events only for an alert that was notified (notify_count > 0): nobody
-- was told about a pending alert, so nobody needs to hear that it went away.
create or replace function private.alert_notification_events(o public.alerts, n public.alerts)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  events text[] := '{}';
  before_count integer := coalesce(o.notify_count, 0);
begin
  if n.notify_count > before_count then
    if before_count = 0 then
      events := events || 'fired'::text;
    elsif n.notified_severity > coalesce(o.notified_severity, o.severity) then
      events := events || 'escalated'::text;
    else
      events := events || 'grew'::text;
    end if;
  end if;
  if n.notify_count > 0 and n.state = 'acknowledged' and (o.state is null or o.state <> 'acknowledged') then
    events := events || 'acknowledged'::text;
  end if;
  if n.notify_count > 0 and n.state = 'resolved' and (o.state is null or o.state <> 'resolved') then
    events := events || 'resolved'::text;
  end if;
  return events;
end;
$$;

-- The outbox trigger: in the alert change's own transaction, one outbox row per
-- (enabled channel of the org, event), then one wake-up POST to the notification-worker
-- function per transaction (pg_net sends it only after commit; a rolled-back change
-- sends nothing and leaves no row). The wake-up is best effort — the schedule below
-- picks up anything it misses — so it can never fail the alert write.
create or replace function private.alerts_enqueue_notifications()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  events text[] := private.alert_notification_events(case when tg_op = 'UPDATE' then old end, new);
  ev text;
  snapshot jsonb;
  queued integer := 0;
  n integer;
begin
  if cardinality(events) = 0 then
    return null;
  end if;
  snapshot := to_jsonb(new) - 'tx_id';
  foreach ev in array events loop
    insert into public.notification_outbox (org_id, channel_id, alert_id, event, idempotency_key, alert)
    select new.org_id, c.id, new.id, ev, format('alert-%s-v%s-%s', new.id, new.version, ev), snapshot
      from public.notification_channels c
     where c.org_id = new.org_id and c.enabled
    on conflict (channel_id, idempotency_key) do nothing;
    get diagnostics n = row_count;
    queued := queued + n;
  end loop;
  if queued > 0 and current_setting('hotwatch.notification_wake_queued', true) is distinct from 'on' then
    perform set_config('hotwatch.notification_wake_queued', 'on', true);
    perform private.wake_notification_worker();
  end if;
  return null;
end;
$$;

-- Queue one POST to the notification-worker function (pg_net; sent after commit).
-- Reads the same two Vault secrets as the scan schedule (project_url and the
-- service-role JWT in hotspot_scan_key); without them it does nothing.
create or replace function private.wake_notification_worker()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  base text;
  key text;
begin
  select decrypted_secret into base from vault.decrypted_secrets where name = 'project_url';
  select decrypted_secret into key from vault.decrypted_secrets where name = 'hotspot_scan_key';
  if base is null or key is null then
    return;
  end if;
  perform net.http_post(
    url := base || '/functions/v1/notification-worker',
    body := '{}'::jsonb,
    headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || key),
    timeout_milliseconds := 10000);
exception when others then
  raise warning 'notification wake-up not queued: %', sqlerrm;
end;
$$;

revoke execute on function private.alerts_enqueue_notifications() from public, anon, authenticated;
revoke execute on function private.wake_notification_worker() from public, anon, authenticated;

create trigger alerts_enqueue_notifications
  after insert or update on public.alerts
  for each row execute function private.alerts_enqueue_notifications();

-- The safety net: every minute the worker runs even if a wake-up was lost (pg_net's
-- queue is unlogged, so a crash empties it) and picks up due retries and sends whose
-- claim expired unconfirmed.
create extension if not exists pg_cron with schema pg_catalog;
create extension if not exists pg_net with schema extensions;

-- Only when something is pending, so a project without notifications does not call the
-- function 1,440 times a day for nothing.
select cron.schedule('notification-worker', '* * * * *', $job$
  select private.wake_notification_worker()
   where exists (select 1 from public.notification_outbox where status = 'pending')
$job$);
