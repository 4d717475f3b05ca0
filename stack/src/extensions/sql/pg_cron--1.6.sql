-- Hotwatch embedded stack: the SQL surface of pg_cron 1.6 (citusdata/pg_cron), without
-- its C code. cron.schedule/unschedule/alter_job validate and write cron.job exactly as
-- pg_cron's do; the stack's cron worker (stack/src/extensions/cron.ts) reads cron.job,
-- runs each command as the job's username and records cron.job_run_details.

\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create schema cron;
create sequence cron.jobid_seq;
create sequence cron.runid_seq;

create table cron.job (
  jobid bigint primary key default pg_catalog.nextval('cron.jobid_seq'),
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport int not null default pg_catalog.inet_server_port(),
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text,
  constraint jobname_username_uniq unique (jobname, username)
);
alter table cron.job enable row level security;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);

create table cron.job_run_details (
  jobid bigint,
  runid bigint primary key default pg_catalog.nextval('cron.runid_seq'),
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);
alter table cron.job_run_details enable row level security;
create policy cron_job_run_details_policy on cron.job_run_details
  using (username operator(pg_catalog.=) current_user);

select pg_catalog.pg_extension_config_dump('cron.job', '');
select pg_catalog.pg_extension_config_dump('cron.job_run_details', '');
select pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');
select pg_catalog.pg_extension_config_dump('cron.runid_seq', '');

-- Schedule grammar accepted by pg_cron's ParseSchedule: five cron fields (numbers,
-- ranges, steps, lists, month/day names, '$' = last day of month), the @-macros, or
-- '[1-59] seconds'.
create function cron._schedule_is_valid(schedule text) returns boolean
language plpgsql immutable
set search_path = pg_catalog
as $$
declare
  s text := lower(btrim(schedule));
  fields text[];
  item text;
  lo int[] := array[0, 0, 1, 1, 0];
  hi int[] := array[59, 23, 31, 12, 7];
  m text[];
  i int;
  a int;
  b int;
begin
  if s is null or s = '' or length(s) > 256 then return false; end if;
  if s ~ '^[0-9]+ *seconds?$' then
    a := substring(s from '^([0-9]+)')::int;
    return a between 1 and 59;
  end if;
  if s in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@reboot') then
    return true;
  end if;
  fields := regexp_split_to_array(s, '\s+');
  if array_length(fields, 1) <> 5 then return false; end if;
  for i in 1..5 loop
    foreach item in array string_to_array(fields[i], ',') loop
      if i = 3 and item = '$' then continue; end if;
      if i = 4 then
        item := regexp_replace(item, 'jan', '1'); item := regexp_replace(item, 'feb', '2');
        item := regexp_replace(item, 'mar', '3'); item := regexp_replace(item, 'apr', '4');
        item := regexp_replace(item, 'may', '5'); item := regexp_replace(item, 'jun', '6');
        item := regexp_replace(item, 'jul', '7'); item := regexp_replace(item, 'aug', '8');
        item := regexp_replace(item, 'sep', '9'); item := regexp_replace(item, 'oct', '10');
        item := regexp_replace(item, 'nov', '11'); item := regexp_replace(item, 'dec', '12');
      elsif i = 5 then
        item := regexp_replace(item, 'sun', '0'); item := regexp_replace(item, 'mon', '1');
        item := regexp_replace(item, 'tue', '2'); item := regexp_replace(item, 'wed', '3');
        item := regexp_replace(item, 'thu', '4'); item := regexp_replace(item, 'fri', '5');
        item := regexp_replace(item, 'sat', '6');
      end if;
      m := regexp_match(item, '^(\*|([0-9]+)(-([0-9]+))?)(/([0-9]+))?$');
      if m is null then return false; end if;
      if m[2] is not null then
        a := m[2]::int;
        b := coalesce(m[4]::int, a);
        if a < lo[i] or b > hi[i] or a > b then return false; end if;
      end if;
      if m[6] is not null and m[6]::int = 0 then return false; end if;
    end loop;
  end loop;
  return true;
end;
$$;

create function cron._check_schedule(schedule text) returns void
language plpgsql immutable
set search_path = pg_catalog
as $$
begin
  if not cron._schedule_is_valid(schedule) then
    raise exception 'invalid schedule: %', schedule
      using errcode = '22023', hint = 'Use cron format (e.g. 5 4 * * *), or interval format ''[1-59] seconds''';
  end if;
end;
$$;

-- Wake the stack's cron worker (NOTIFY is delivered on commit, as pg_cron's cache
-- invalidation takes effect on commit).
create function cron.job_cache_invalidate() returns trigger
language plpgsql
as $$
begin
  perform pg_catalog.pg_notify('cron_job_cache_invalidate', '');
  return null;
end;
$$;
create trigger cron_job_cache_invalidate
  after insert or update or delete or truncate on cron.job
  for each statement execute function cron.job_cache_invalidate();

create function cron.schedule(schedule text, command text) returns bigint
language plpgsql strict
set search_path = pg_catalog
as $$
declare
  v_jobid bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command, username)
  values (schedule, command, current_user::text)
  returning jobid into v_jobid;
  return v_jobid;
end;
$$;
comment on function cron.schedule(text, text) is 'schedule a pg_cron job';

create function cron.schedule(job_name text, schedule text, command text) returns bigint
language plpgsql strict
set search_path = pg_catalog
as $$
declare
  v_jobid bigint;
  v_user text := current_user::text;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command, username, jobname)
  values (schedule, command, v_user, job_name)
  on conflict on constraint jobname_username_uniq
  do update set schedule = excluded.schedule, command = excluded.command, database = excluded.database
  returning jobid into v_jobid;
  return v_jobid;
end;
$$;
comment on function cron.schedule(text, text, text) is 'schedule a pg_cron job';

create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
                                          username text default null, active boolean default true)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
  v_jobid bigint;
  v_user text := coalesce(username, current_user::text);
begin
  if job_name is null then raise exception 'job_name can not be NULL'; end if;
  if schedule is null then raise exception 'schedule can not be NULL'; end if;
  if command is null then raise exception 'command can not be NULL'; end if;
  perform cron._check_schedule(schedule);
  if username is not null and not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'must be superuser to create a job for another role';
  end if;
  if not exists (select 1 from pg_roles where rolname = v_user) then
    raise exception 'role "%" does not exist', v_user;
  end if;
  insert into cron.job (schedule, command, database, username, active, jobname)
  values (schedule, command, coalesce(database, current_database()), v_user, coalesce(active, true), job_name)
  on conflict on constraint jobname_username_uniq
  do update set schedule = excluded.schedule, command = excluded.command, database = excluded.database
  returning jobid into v_jobid;
  return v_jobid;
end;
$$;

create function cron.unschedule(job_id bigint) returns boolean
language plpgsql strict
set search_path = pg_catalog
as $$
declare
  v_owner text;
begin
  select username into v_owner from cron.job where jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  if v_owner <> current_user::text and not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'permission denied for job %', job_id;
  end if;
  delete from cron.job where jobid = job_id;
  return true;
end;
$$;
comment on function cron.unschedule(bigint) is 'unschedule a pg_cron job';

create function cron.unschedule(job_name text) returns boolean
language plpgsql strict
set search_path = pg_catalog
as $$
begin
  delete from cron.job where jobname = job_name and username = current_user::text;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name;
  end if;
  return true;
end;
$$;
comment on function cron.unschedule(text) is 'unschedule a pg_cron job';

create function cron.alter_job(job_id bigint, schedule text default null, command text default null,
                               database text default null, username text default null, active boolean default null)
returns void
language plpgsql
set search_path = pg_catalog
as $$
declare
  v_owner text;
begin
  if job_id is null then raise exception 'job_id can not be NULL'; end if;
  select j.username into v_owner from cron.job j where j.jobid = job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id;
  end if;
  if v_owner <> current_user::text and not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'permission denied for job %', job_id;
  end if;
  if schedule is not null then perform cron._check_schedule(schedule); end if;
  if username is not null and not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'must be superuser to alter username';
  end if;
  update cron.job j set
    schedule = coalesce(alter_job.schedule, j.schedule),
    command = coalesce(alter_job.command, j.command),
    database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username),
    active = coalesce(alter_job.active, j.active)
  where j.jobid = job_id;
end;
$$;
comment on function cron.alter_job(bigint, text, text, text, text, boolean)
  is 'Alter the job identified by job_id. Any option left as NULL will not be modified.';

-- The functions run as the caller (pg_cron switches to the extension owner only for
-- its own catalog writes; RLS keeps each role to its own jobs here). As on Supabase,
-- only postgres uses cron until it grants more.
revoke all on schema cron from public;
revoke all on all functions in schema cron from public;
grant usage on schema cron to postgres with grant option;
grant all on all tables in schema cron to postgres with grant option;
grant select on cron.job, cron.job_run_details to public;
grant all on all sequences in schema cron to postgres with grant option;
grant all on all functions in schema cron to postgres with grant option;
