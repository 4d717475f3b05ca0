-- Retention and erasure of raw events (issue 23 part 4).
--
-- Accepted events stay immutable: UPDATE was already refused by a trigger; now DELETE is
-- too — revoked from every API role (service_role included) and refused by a trigger
-- even for the owner — except on the two paths below, which mark their transaction with
-- the transaction-local setting hotwatch.events_delete and run as the table's owner:
--
--  * retention ('retention'): public.purge_expired_events(), the daily cron job, deletes
--    events older than the org's org_settings.retention_days (null = keep forever) in
--    bounded batches, one transaction each. The count cube is NOT decremented: the
--    hotspots' baselines keep the history that the raw rows no longer hold, and the
--    streams (hotspots, alerts, recommendations) never referenced events.
--  * erasure ('erasure'): public.erase_events(org, ids), called by the events-admin edge
--    function for an org admin's request (by source + external ids, or by time range +
--    area), deletes the named events; the cube IS decremented in the same transaction
--    (and cells that reach zero are dropped), so it equals a recount of the events that
--    remain.
--
-- The setting alone opens nothing: anyone can set a custom GUC, so the trigger also
-- requires the current user to be (a member of) the table's owner — inside the security
-- definer function, and in the cron job, which runs as the role that scheduled it.
-- Every deletion is audited in public.audit_log in its own transaction.

alter table public.org_settings add column retention_days integer
  check (retention_days is null or retention_days between 1 and 36500);
comment on column public.org_settings.retention_days is
  'Raw events older than this many days (by occurred_at) are deleted by the daily retention job; null = kept forever. The count cube keeps them.';

create or replace function public.events_refuse_delete()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if coalesce(current_setting('hotwatch.events_delete', true), '') in ('retention', 'erasure')
     and pg_catalog.pg_has_role(current_user, (select c.relowner from pg_catalog.pg_class c where c.oid = tg_relid), 'MEMBER') then
    return null;
  end if;
  raise exception 'events are immutable once accepted'
    using errcode = '55000',
          hint = 'Org admins erase events through the events-admin function; old events go by the org''s retention setting.';
end;
$$;
revoke execute on function public.events_refuse_delete() from public, anon, authenticated, service_role;

-- Statement level: refused before any row is looked at, even when none would match.
create trigger events_no_delete before delete on public.events
  for each statement execute function public.events_refuse_delete();
create trigger events_no_truncate before truncate on public.events
  for each statement execute function public.events_refuse_delete();
revoke delete, truncate on public.events from anon, authenticated, service_role;

-- The cube follows deletions except retention's; cells that reach zero are dropped, so
-- "cube = recount of events" holds row for row after an erasure.
create or replace function public.count_cube_remove()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('hotwatch.events_delete', true) = 'retention' then
    return null;
  end if;
  update public.count_cube c
     set n = c.n - d.n, weight_sum = c.weight_sum - d.w
    from (select r.org_id, r.category, public.h3_cell_to_parent(r.h3_cell, 8) as cell,
                 date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
                 count(*) as n, sum(r.weight) as w
            from old_rows r group by 1, 2, 3, 4 order by 1, 2, 4, 3) d
   where c.org_id = d.org_id and c.category = d.category and c.cell = d.cell and c.bucket = d.bucket;
  delete from public.count_cube c
   using (select distinct r.org_id, r.category, public.h3_cell_to_parent(r.h3_cell, 8) as cell,
                 date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00:00+00') as bucket
            from old_rows r) d
   where c.org_id = d.org_id and c.category = d.category and c.cell = d.cell and c.bucket = d.bucket and c.n = 0;
  return null;
end;
$$;
revoke execute on function public.count_cube_remove() from public, anon, authenticated;

-- Erasure: delete the org's events with these ids (ids of other orgs are ignored);
-- the caller (events-admin, in its transaction) writes the audit row. Returns the
-- number deleted.
create or replace function public.erase_events(p_org_id uuid, p_event_ids bigint[])
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  n bigint;
begin
  perform pg_catalog.set_config('hotwatch.events_delete', 'erasure', true);
  delete from public.events e where e.org_id = p_org_id and e.id = any (p_event_ids);
  get diagnostics n = row_count;
  perform pg_catalog.set_config('hotwatch.events_delete', '', true);
  return n;
end;
$$;
revoke execute on function public.erase_events(uuid, bigint[]) from public, anon, authenticated, service_role;

-- Retention: for each org with retention_days, delete its events older than that in
-- batches of at most batch_size rows, committing each batch with its audit row
-- (action events.retention, after = {deleted, older_than, retention_days, batch, run_at}),
-- so a long backlog never holds one long transaction and every committed deletion is
-- audited. A procedure (COMMIT inside) cannot be SECURITY DEFINER nor carry a SET clause,
-- hence the schema-qualified names; it runs as its caller: the cron job's owner.
create or replace procedure public.purge_expired_events(batch_size integer default 50000)
language plpgsql
as $$
declare
  o record;
  n bigint;
  batch integer;
  cutoff timestamptz;
  run_at timestamptz := pg_catalog.now();
begin
  if batch_size is null or batch_size < 1 then
    raise exception 'batch_size must be at least 1' using errcode = '22023';
  end if;
  for o in select s.org_id, s.retention_days from public.org_settings s where s.retention_days is not null order by s.org_id loop
    cutoff := run_at - pg_catalog.make_interval(days => o.retention_days);
    batch := 0;
    loop
      perform pg_catalog.set_config('hotwatch.events_delete', 'retention', true);
      delete from public.events e
       where e.id in (select x.id from public.events x
                       where x.org_id = o.org_id and x.occurred_at < cutoff
                       order by x.occurred_at limit batch_size);
      get diagnostics n = row_count;
      perform pg_catalog.set_config('hotwatch.events_delete', '', true);
      exit when n = 0;
      batch := batch + 1;
      insert into public.audit_log (org_id, actor, action, target_type, target_id, before, after)
      values (o.org_id, null, 'events.retention', 'events', o.org_id::text, null,
              pg_catalog.jsonb_build_object('deleted', n, 'older_than', cutoff, 'retention_days', o.retention_days,
                                            'batch', batch, 'run_at', run_at));
      commit;
      exit when n < batch_size;
    end loop;
  end loop;
end;
$$;
revoke execute on procedure public.purge_expired_events(integer) from public, anon, authenticated, service_role;

-- Daily at 03:41 UTC (after the 03:17 housekeeping). The command is the CALL alone: a
-- multi-statement command runs in one implicit transaction, where the procedure's COMMITs
-- fail with "invalid transaction termination" (citusdata/pg_cron#85, #230, #407).
select cron.schedule('purge-expired-events', '41 3 * * *', $job$call public.purge_expired_events()$job$);
