-- Alert lifecycle history (issue 23, "History out"): one row per step an alert took —
-- opened, fired, escalated, acknowledged, resolved — with who (null: the scan) and when.
-- The alert row keeps only its latest state (acknowledged_by/at, resolved_by/at), and
-- the notification outbox records steps only for orgs with channels and only for
-- admins; the after-action export needs the whole lifecycle for every member.
--
-- Written by a trigger on public.alerts in the alert change's own transaction, so a
-- step and its history row commit or roll back together, whichever writer (the scan,
-- the decisions function) made it. fired and escalated come from the notification
-- rules, private.alert_notification_events (20261126004100_notifications.sql): fired =
-- first notification, escalated = a notification at a higher tier than the last one;
-- acknowledging and resolving are recorded for every alert (the outbox skips alerts
-- nobody was told about).
--
-- Append-only like public.decisions and public.audit_log. Read: the org's members
-- (tenant-policy convention: tenancy from the JWT's org_roles claim only).

create table public.alert_events (
  id bigint generated always as identity primary key,
  org_id uuid not null references public.orgs (id),
  alert_id bigint not null references public.alerts (id),
  event text not null check (event in ('opened', 'fired', 'escalated', 'acknowledged', 'resolved')),
  state public.alert_state not null,
  severity public.severity not null,
  -- auth.users id of the person; null when the scan made the step.
  actor uuid references auth.users (id),
  at timestamptz not null default now()
);
comment on table public.alert_events is 'Append-only alert lifecycle (opened, fired, escalated, acknowledged, resolved: who and when), written by a trigger on alerts.';
create index alert_events_org_at_idx on public.alert_events (org_id, at, id);
create index alert_events_alert_idx on public.alert_events (alert_id, id);

create trigger alert_events_no_update before update on public.alert_events
  for each row execute function public.refuse_delete();
create trigger alert_events_no_delete before delete on public.alert_events
  for each row execute function public.refuse_delete();
create trigger alert_events_no_truncate before truncate on public.alert_events
  for each statement execute function public.refuse_delete();
revoke insert, update, delete, truncate on public.alert_events from anon, authenticated, service_role;

alter table public.alert_events enable row level security;
create policy "members read their orgs' alert events" on public.alert_events
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);

-- Which lifecycle steps an alert write is (o is null on insert): fired and escalated as
-- the notification rules say, acknowledged and resolved for every alert.
create or replace function private.alert_lifecycle_events(o public.alerts, n public.alerts)
returns text[]
language sql
immutable
set search_path = ''
as $$
  select case when o.id is null then array['opened'] else '{}'::text[] end
      || array(select e from unnest(private.alert_notification_events(o, n)) with ordinality as x (e, i)
                where e in ('fired', 'escalated') order by i)
      || case when n.state = 'acknowledged' and (o.id is null or o.state <> 'acknowledged') then array['acknowledged'] else '{}'::text[] end
      || case when n.state = 'resolved' and (o.id is null or o.state <> 'resolved') then array['resolved'] else '{}'::text[] end
$$;

-- Security definer: clients cannot insert history rows; the trigger writes them for
-- whichever role changed the alert.
create or replace function private.alerts_record_lifecycle()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.alert_events (org_id, alert_id, event, state, severity, actor, at)
  select new.org_id, new.id, ev, new.state, new.severity,
         case ev when 'acknowledged' then new.acknowledged_by when 'resolved' then new.resolved_by end,
         case ev when 'acknowledged' then coalesce(new.acknowledged_at, now())
                 when 'resolved' then coalesce(new.resolved_at, now())
                 else now() end
    from unnest(private.alert_lifecycle_events(case when tg_op = 'UPDATE' then old end, new)) as ev;
  return null;
end;
$$;
revoke execute on function private.alert_lifecycle_events(public.alerts, public.alerts) from public, anon, authenticated;
revoke execute on function private.alerts_record_lifecycle() from public, anon, authenticated;

create trigger alerts_record_lifecycle
  after insert or update on public.alerts
  for each row execute function private.alerts_record_lifecycle();

-- Alerts from before this migration: what their rows still tell (when opened, who
-- acknowledged and resolved them, and when); their fired/escalated steps were not kept.
insert into public.alert_events (org_id, alert_id, event, state, severity, actor, at)
select a.org_id, a.id, s.event, a.state, a.severity, s.actor, s.at
  from public.alerts a
 cross join lateral (values
   ('opened', null::uuid, a.created_at),
   ('acknowledged', a.acknowledged_by, a.acknowledged_at),
   ('resolved', a.resolved_by, a.resolved_at)) as s (event, actor, at)
 where s.at is not null
 order by s.at, a.id;
