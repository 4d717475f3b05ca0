-- Supabase platform bootstrap for the embedded stack ONLY (never in migrations/):
-- what a Supabase project already has before user migrations run. Idempotent; applied
-- at every start. Reproduced from supabase/cli's globals.sql and initial schemas, in
-- the subset this product and the official clients rely on (see stack/README.md).

-- Roles -----------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role supabase_auth_admin set search_path = 'auth';

-- Schemas ---------------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

grant usage on schema public to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;

-- auth ------------------------------------------------------------------------
create schema if not exists auth authorization supabase_auth_admin;
grant usage on schema auth to anon, authenticated, service_role;
grant all on schema auth to postgres;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key default gen_random_uuid(),
  aud varchar(255) default 'authenticated',
  role varchar(255) default 'authenticated',
  email varchar(255) unique,
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  recovery_token varchar(255),
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb default '{"provider":"email","providers":["email"]}'::jsonb,
  raw_user_meta_data jsonb default '{}'::jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text unique,
  phone_confirmed_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
comment on table auth.users is 'Subset of Supabase Auth (GoTrue) users; encrypted_password is bcrypt.';

create table if not exists auth.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  aal text not null default 'aal1',
  not_after timestamptz
);

create table if not exists auth.refresh_tokens (
  id bigserial primary key,
  token varchar(255) not null unique,
  user_id uuid not null references auth.users (id) on delete cascade,
  session_id uuid not null references auth.sessions (id) on delete cascade,
  parent varchar(255),
  revoked boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Columns and tables GoTrue keeps that the auth subset uses (stack/src/auth): session
-- refresh bookkeeping, the authentication methods behind each session (amr claim).
alter table auth.sessions add column if not exists refreshed_at timestamp;
alter table auth.sessions add column if not exists user_agent text;
alter table auth.sessions add column if not exists ip inet;
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create table if not exists auth.mfa_amr_claims (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references auth.sessions (id) on delete cascade,
  authentication_method text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);
alter table auth.mfa_amr_claims owner to supabase_auth_admin;

-- Email flows (stack/src/auth: signup, invite, magic link, recovery, email change; docs/stack.md):
-- the auth.users columns Supabase Auth keeps for them, and auth.one_time_tokens, where it
-- records each outstanding token's hash (sha224 hex of email + OTP, never the OTP itself).
alter table auth.users add column if not exists confirmation_sent_at timestamptz;
alter table auth.users add column if not exists recovery_sent_at timestamptz;
alter table auth.users add column if not exists email_change_token_new varchar(255);
alter table auth.users add column if not exists email_change varchar(255);
alter table auth.users add column if not exists email_change_sent_at timestamptz;
alter table auth.users add column if not exists email_change_token_current varchar(255) default '';
alter table auth.users add column if not exists email_change_confirm_status smallint default 0;
alter table auth.users add column if not exists reauthentication_token varchar(255) default '';
alter table auth.users add column if not exists reauthentication_sent_at timestamptz;
alter table auth.users add column if not exists is_sso_user boolean not null default false;
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'auth' and t.typname = 'one_time_token_type') then
    create type auth.one_time_token_type as enum ('confirmation_token', 'reauthentication_token', 'recovery_token',
      'email_change_token_new', 'email_change_token_current', 'phone_change_token');
  end if;
end
$$;
create table if not exists auth.one_time_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp without time zone not null default now(),
  updated_at timestamp without time zone not null default now()
);
create unique index if not exists one_time_tokens_user_id_token_type_key on auth.one_time_tokens (user_id, token_type);
create index if not exists one_time_tokens_token_hash_hash_idx on auth.one_time_tokens using hash (token_hash);
create index if not exists one_time_tokens_relates_to_hash_idx on auth.one_time_tokens using hash (relates_to);
alter table auth.one_time_tokens owner to supabase_auth_admin;
alter type auth.one_time_token_type owner to supabase_auth_admin;
-- PKCE: the code challenge a client sent with its email request, and the auth code a
-- verified link issues against it (exchanged at POST /token?grant_type=pkce).
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'auth' and t.typname = 'code_challenge_method') then
    create type auth.code_challenge_method as enum ('s256', 'plain');
  end if;
end
$$;
create table if not exists auth.flow_state (
  id uuid primary key default gen_random_uuid(),
  user_id uuid,
  auth_code text not null,
  code_challenge_method auth.code_challenge_method not null,
  code_challenge text not null,
  provider_type text not null,
  provider_access_token text,
  provider_refresh_token text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  authentication_method text not null,
  auth_code_issued_at timestamptz
);
create index if not exists idx_auth_code on auth.flow_state (auth_code);
create index if not exists idx_user_id_auth_method on auth.flow_state (user_id, authentication_method);
alter table auth.flow_state owner to supabase_auth_admin;
alter type auth.code_challenge_method owner to supabase_auth_admin;

alter table auth.users owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter sequence auth.refresh_tokens_id_seq owner to supabase_auth_admin;

create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.email() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to public;

-- realtime (owned by the Realtime server, stack/src/realtime; see docs/realtime.md) --
-- The objects Supabase Realtime's tenant migrations create that SQL and policies call:
-- realtime.messages (daily partitions, created by the server), topic(), send(),
-- send_binary(), broadcast_changes(), authorize() (private-channel probe), plus the
-- embedded server's batched RLS visibility check.
create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default timezone('utc', now()),
  inserted_at timestamp not null default timezone('utc', now()),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
) partition by range (inserted_at);
alter table realtime.messages add column if not exists binary_payload bytea;
alter table realtime.messages add column if not exists skip_broadcast boolean not null default false;
alter table realtime.messages alter column inserted_at set default timezone('utc', now());
alter table realtime.messages alter column updated_at set default timezone('utc', now());
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'messages_payload_exclusive'
                 and conrelid = 'realtime.messages'::regclass) then
    alter table realtime.messages add constraint messages_payload_exclusive
      check (payload is null or binary_payload is null) not valid;
  end if;
end
$$;
create index if not exists messages_inserted_at_topic_index on only realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- realtime.send: like Supabase's, an error becomes a WARNING so the caller's write
-- never fails because of a broadcast. The payload gets an "id" when it has none.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
declare
  generated_id uuid;
  final_payload jsonb;
begin
  begin
    generated_id := gen_random_uuid();
    final_payload := case when payload ? 'id' then payload else jsonb_set(payload, '{id}', to_jsonb(generated_id)) end;
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (generated_id, final_payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

-- realtime.send_binary: the same for a raw bytea payload (delivered as binary to vsn 2 clients).
create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (binary_payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

create or replace function realtime.broadcast_changes(
  topic_name text, event_name text, operation text, table_name text, table_schema text,
  new record, old record, level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
  row_data jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  row_data := jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                 'table', table_name, 'schema', table_schema);
  perform realtime.send(row_data, event_name, topic_name);
end;
$$;

-- realtime.authorize: which extensions may this role + claims read (and write) on a topic?
-- As Supabase Realtime checks private channels: insert one probe message per read
-- extension as the server, switch to the subscriber's role and settings, see which
-- probes RLS lets it select back and which inserts it may make, then undo everything.
create or replace function realtime.authorize(
  role_name text, topic_name text, claims text, sub text, headers text,
  read_extensions text[], write_extensions text[],
  out read_allowed boolean[], out write_allowed boolean[]
)
returns record
language plpgsql
as $$
declare
  probes uuid[];
  ext text;
  ok boolean;
begin
  perform set_config('synchronous_commit', 'off', true);
  begin
    probes := array(select gen_random_uuid() from unnest(read_extensions));
    insert into realtime.messages (id, topic, extension, inserted_at, updated_at)
    select p.id, topic_name, p.ext, timezone('utc', now()), timezone('utc', now())
      from unnest(probes, read_extensions) as p(id, ext);

    perform set_config('role', role_name, true),
            set_config('realtime.topic', topic_name, true),
            set_config('request.jwt.claims', claims, true),
            set_config('request.jwt.claim.sub', coalesce(sub, ''), true),
            set_config('request.jwt.claim.role', role_name, true),
            set_config('request.headers', coalesce(headers, '{}'), true);

    read_allowed := array(
      select exists (select 1 from realtime.messages m where m.id = p.id)
        from unnest(probes) with ordinality as p(id, n) order by p.n);

    write_allowed := '{}';
    foreach ext in array write_extensions loop
      begin
        insert into realtime.messages (topic, extension, inserted_at, updated_at)
        values (topic_name, ext, timezone('utc', now()), timezone('utc', now()));
        ok := true;
      exception when insufficient_privilege then
        ok := false;
      end;
      write_allowed := write_allowed || ok;
    end loop;
    raise sqlstate 'RTA01';
  exception when sqlstate 'RTA01' then
    null; -- the probes, the role switch and the settings are all rolled back here
  end;
end;
$$;
revoke execute on function realtime.authorize(text, text, text, text, text, text[], text[]) from public, anon, authenticated;

-- realtime.embedded_as_group (embedded stack only): for the rest of the transaction (or
-- subtransaction), act as an RLS group of subscribers — its role and JWT claims, set as
-- PostgREST and Realtime set them. Used by the two batched RLS checks below.
create or replace function realtime.embedded_as_group(role_name text, claims text)
returns void
language plpgsql
as $$
begin
  perform set_config('role', role_name, true),
          set_config('request.jwt.claims', claims, true),
          set_config('request.jwt.claim.sub', coalesce(claims::jsonb ->> 'sub', ''), true),
          set_config('request.jwt.claim.role', role_name, true);
end;
$$;
revoke execute on function realtime.embedded_as_group(text, text) from public, anon, authenticated;

-- realtime.embedded_wait_visible (embedded stack only): wait until every one of `xids`
-- (32-bit ids of transactions whose commits the server decoded) is visible to a new
-- snapshot (why: embedded_visible_keys below); bounded at 2,000 waits of 1 ms. Returns
-- the number of waits, negated when it gave up. Volatile: each check takes a new snapshot.
create or replace function realtime.embedded_wait_visible(xids bigint[])
returns int
language plpgsql
set search_path = ''
as $$
declare
  waited int := 0;
begin
  -- A 32-bit xid becomes the xid8 nearest to the snapshot's xmax.
  while cardinality(xids) > 0 and exists (
    select 1
      from (select pg_catalog.pg_current_snapshot() as snap) s
      cross join lateral (select pg_catalog.pg_snapshot_xmax(s.snap)::text::bigint as xm) m
      cross join unnest(xids) as t(x)
     where not pg_catalog.pg_visible_in_snapshot(
       greatest(m.xm + ((t.x - m.xm % 4294967296 + 6442450944) % 4294967296 - 2147483648), 3)::text::xid8, s.snap)) loop
    if waited >= 2000 then
      raise warning 'WarnCommitNotVisible: transactions % still not visible after % waits', xids, waited;
      return -waited;
    end if;
    perform pg_catalog.pg_sleep(0.001);
    waited := waited + 1;
  end loop;
  return waited;
end;
$$;
revoke execute on function realtime.embedded_wait_visible(bigint[]) from public, anon, authenticated;

-- realtime.embedded_visible_keys (embedded stack only): the batched RLS check. For each
-- group (role + claims) run ONE query — which of these primary keys can the group
-- select from `entity`? — and return (group_no, key_no) pairs; key_no = -1 marks a
-- group whose policies raised; a row (-1, n) reports n waits for visibility (below), (-2, n)
-- that the wait gave up (the server cannot decide those keys: RealtimeRlsUndecided). Keys are a JSON array of arrays of primary-key values.
-- The query is a session-level prepared statement, so groups of one role reuse its plan;
-- the lateral + LIMIT 1 keeps it to one primary-key index probe per key (a semi-join
-- is planned as a hash join that scans the whole table through the policy).
-- `xids` are the (32-bit) ids of the transactions that wrote the keys. A commit record
-- is flushed to WAL — and so can reach the Realtime server — a moment before the
-- committing backend leaves the proc array; a snapshot taken in that window does not
-- see the commit, so the probe would miss a new row (or read its previous version) and
-- the change would be dropped for every RLS subscriber. Under CPU contention that window
-- lasts milliseconds; so first wait until every one of `xids` is visible (bounded, ~2 s).
drop function if exists realtime.embedded_visible_keys(regclass, jsonb, jsonb);
create or replace function realtime.embedded_visible_keys(entity regclass, keys jsonb, groups jsonb, xids bigint[] default '{}')
returns table (group_no int, key_no int)
language plpgsql
as $$
declare
  cond text;
  stmt text;
  g jsonb;
  i int;
  waited int := 0;
  gave_up boolean := false;
begin
  waited := realtime.embedded_wait_visible(xids);
  gave_up := waited < 0;
  waited := abs(waited);
  if waited > 0 then
    group_no := case when gave_up then -2 else -1 end;
    key_no := waited;
    return next;
  end if;
  select string_agg(format('t.%I = (k.v ->> %s)::%s', a.attname, k.ord - 1, format_type(a.atttypid, a.atttypmod)), ' and ' order by k.ord)
    into cond
    from pg_index x
    cross join lateral unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
   where x.indrelid = entity and x.indisprimary;
  if cond is null then
    return;
  end if;
  stmt := 'rt_vis_' || entity::oid || '_' || left(md5(cond), 8) || '_l';
  if not exists (select 1 from pg_prepared_statements where name = stmt) then
    execute format('prepare %I (jsonb, int) as select $2, k.n::int from jsonb_array_elements($1) with ordinality as k(v, n) cross join lateral (select 1 from %s t where %s limit 1) as hit', stmt, entity, cond);
  end if;
  for i in 0 .. jsonb_array_length(groups) - 1 loop
    g := groups -> i;
    begin
      perform realtime.embedded_as_group(g ->> 'role', g ->> 'claims');
      return query execute format('execute %I(%L, %s)', stmt, keys, i);
      perform set_config('role', null, true);
    exception when others then
      raise warning 'WarnApplyingRlsToSubscription: %', sqlerrm;
      group_no := i;
      key_no := -1;
      return next;
    end;
  end loop;
  perform set_config('role', null, true);
end;
$$;
revoke execute on function realtime.embedded_visible_keys(regclass, jsonb, jsonb, bigint[]) from public, anon, authenticated;

-- realtime.embedded_rls_facts (embedded stack only): what decides RLS on a table for
-- Realtime — row security on/forced, the owner, the SELECT (and ALL) policies with their
-- USING expressions (deparsed with search_path '', so fully qualified) and node trees.
create or replace function realtime.embedded_rls_facts(entity oid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'oid', c.oid::int8, 'rls', c.relrowsecurity, 'force', c.relforcerowsecurity, 'owner', c.relowner::int8,
    'policies', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'name', p.polname, 'permissive', p.polpermissive, 'roles', p.polroles::int8[],
               'qual', pg_catalog.pg_get_expr(p.polqual, p.polrelid), 'tree', p.polqual::text) order by p.polname)
        from pg_catalog.pg_policy p
       where p.polrelid = c.oid and p.polcmd in ('r', '*')), '[]'::jsonb))
    from pg_catalog.pg_class c
   where c.oid = entity
$$;
revoke execute on function realtime.embedded_rls_facts(oid) from public, anon, authenticated;

-- realtime.embedded_ddl_watch (embedded stack only): an event trigger that puts the RLS
-- facts of every table a DDL command touched (CREATE/ALTER/DROP POLICY, ALTER TABLE …
-- ROW LEVEL SECURITY, columns, owner) into the WAL as a transactional logical message.
-- The Realtime server receives it in the replication stream at the DDL's commit position
-- and judges each change by the facts in effect when the change committed
-- (stack/src/realtime/rls-facts.ts). Security definer: pg_logical_emit_message is for
-- superusers; it must never make a user's DDL fail, so errors become warnings.
create or replace function realtime.embedded_ddl_watch()
returns event_trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  rel oid;
  rels oid[];
begin
  if tg_event = 'sql_drop' then
    -- A dropped policy is gone by now; its table is named in the address.
    select pg_catalog.array_agg(distinct pg_catalog.to_regclass(pg_catalog.quote_ident(o.address_names[1]) || '.' || pg_catalog.quote_ident(o.address_names[2]))::oid)
      into rels
      from pg_catalog.pg_event_trigger_dropped_objects() o
     where o.object_type = 'policy';
  else
    select pg_catalog.array_agg(distinct case
             when d.classid = 'pg_catalog.pg_class'::regclass then d.objid
             when d.classid = 'pg_catalog.pg_policy'::regclass then (select p.polrelid from pg_catalog.pg_policy p where p.oid = d.objid)
           end)
      into rels
      from pg_catalog.pg_event_trigger_ddl_commands() d;
  end if;
  foreach rel in array coalesce(rels, '{}') loop
    continue when rel is null or not exists (select 1 from pg_catalog.pg_class c where c.oid = rel and c.relkind in ('r', 'p'));
    perform pg_catalog.pg_logical_emit_message(true, 'hotwatch.realtime.rls', realtime.embedded_rls_facts(rel)::text);
  end loop;
exception when others then
  raise warning 'RealtimeRlsUndecided: could not record RLS facts for Realtime: %', sqlerrm;
end;
$$;
revoke execute on function realtime.embedded_ddl_watch() from public, anon, authenticated;
-- Realtime trusts these messages: were pg_logical_emit_message left to PUBLIC (PostgreSQL's
-- default), any role could tell it a table has no RLS. Only superusers (and the security
-- definer trigger above) may emit logical messages here.
do $$
declare f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_catalog.pg_proc p where p.proname = 'pg_logical_emit_message' loop
    execute format('revoke execute on function %s from public', f);
  end loop;
end;
$$;
drop event trigger if exists realtime_embedded_ddl_watch;
create event trigger realtime_embedded_ddl_watch on ddl_command_end execute function realtime.embedded_ddl_watch();
drop event trigger if exists realtime_embedded_drop_watch;
create event trigger realtime_embedded_drop_watch on sql_drop execute function realtime.embedded_ddl_watch();

-- realtime.embedded_policy_verdicts (embedded stack only): RLS verdicts for tables whose
-- SELECT policies are pure functions of the row's columns and the JWT claims (the
-- Realtime server decides that from the policies' node trees: policy-purity.ts). For
-- each group (role + claims) and each tuple of values of `cols`: would a row with these
-- values pass the policies PostgreSQL applies to that role — as rowsecurity.c combines
-- them: SELECT/ALL policies whose roles the role has the privileges of (or PUBLIC),
-- permissive ones OR'ed, restrictive ones AND'ed, no permissive one = no rows; a
-- superuser or BYPASSRLS role bypasses, and so does the owner unless FORCE ROW LEVEL
-- SECURITY (check_enable_rls). The policies are `facts` (realtime.embedded_rls_facts as
-- of the change's commit, which the server tracks; null = the current ones). Returns
-- visible (group_no, tuple_no) pairs (tuple_no from 1) and (group_no, -1) for a group
-- whose policies raised. It never reads the table: the verdict is the committed tuple's,
-- so there is nothing to wait for, and the server can remember it per (group, values).
drop function if exists realtime.embedded_policy_verdicts(regclass, text[], jsonb, jsonb);
create or replace function realtime.embedded_policy_verdicts(entity regclass, cols text[], tuples jsonb, groups jsonb, facts jsonb default null)
returns table (group_no int, tuple_no int)
language plpgsql
set search_path = ''
as $$
declare
  g jsonb;
  i int;
  r text;
  proj text;
  perm text;
  restr text;
  stmt text;
  bypass boolean;
begin
  facts := coalesce(facts, realtime.embedded_rls_facts(entity));
  select coalesce(string_agg(format('(__rt_tuple ->> %s)::%s as %I', c.ord - 1, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attname), ', ' order by c.ord), '')
    into proj
    from unnest(cols) with ordinality as c(name, ord)
    join pg_catalog.pg_attribute a on a.attrelid = entity and a.attname = c.name and a.attnum > 0 and not a.attisdropped;
  for i in 0 .. jsonb_array_length(groups) - 1 loop
    g := groups -> i;
    r := g ->> 'role';
    begin
      select a.rolsuper or a.rolbypassrls
             or (pg_catalog.pg_has_role(a.oid, (facts ->> 'owner')::oid, 'USAGE') and not (facts ->> 'force')::boolean)
        into bypass
        from pg_catalog.pg_roles a where a.rolname = r;
      if bypass is null then
        raise exception 'role "%" does not exist', r;
      end if;
      if bypass then
        return query select i, n::int from generate_series(1, jsonb_array_length(tuples)) as n;
        continue;
      end if;
      select coalesce(string_agg(format('(%s)', p ->> 'qual'), ' or ' order by p ->> 'name') filter (where (p ->> 'permissive')::boolean), 'false'),
             coalesce(string_agg(format('(%s)', p ->> 'qual'), ' and ' order by p ->> 'name') filter (where not (p ->> 'permissive')::boolean), 'true')
        into perm, restr
        from jsonb_array_elements(facts -> 'policies') as p
       where p ->> 'qual' is not null
         and exists (select 1 from jsonb_array_elements_text(p -> 'roles') as pr(oid)
                      where pr.oid::oid = 0 or pg_catalog.pg_has_role(r, pr.oid::oid, 'USAGE'));
      stmt := 'rt_ver_' || entity::oid || '_' || left(md5(proj || '|' || perm || '|' || restr), 12);
      if not exists (select 1 from pg_catalog.pg_prepared_statements s where s.name = stmt) then
        execute format('prepare %I (jsonb, int) as select $2, __rt_no::int from pg_catalog.jsonb_array_elements($1) with ordinality as __rt_in(__rt_tuple, __rt_no) cross join lateral (select %s) as __rt_row where (%s) and (%s)',
          stmt, proj, perm, restr);
      end if;
      perform realtime.embedded_as_group(g ->> 'role', g ->> 'claims');
      return query execute format('execute %I(%L, %s)', stmt, tuples, i);
      perform set_config('role', null, true);
    exception when others then
      raise warning 'WarnApplyingRlsToSubscription: %', sqlerrm;
      group_no := i;
      tuple_no := -1;
      return next;
    end;
  end loop;
  perform set_config('role', null, true);
end;
$$;
revoke execute on function realtime.embedded_policy_verdicts(regclass, text[], jsonb, jsonb, jsonb) from public, anon, authenticated;

-- realtime.embedded_policy_gates (embedded stack only): the value, per group (role +
-- claims), of a table's restrictive policies that read no column of the row (the
-- Realtime server finds them: policy-purity.ts rowIndependentFunctions; `facts` holds
-- only those). Such a policy — Hotwatch's cut-off `(select rls.token_account_active())`
-- — has one value for a group at a given moment whatever the row, so the server
-- evaluates it per group and ANDs it with the cached verdicts of the table's other
-- (pure) policies; evaluated now, as a probe of each row would. Policies apply as in
-- embedded_policy_verdicts (roles, PUBLIC, bypass, owner unless FORCE).
-- Returns (group_no, passed, cacheable); passed is null for a group whose policies raised.
-- `cacheable`: every table the evaluation read (this backend's scan counters before and
-- after, pg_stat_xact_all_tables) carries the realtime_embedded_gate_deps trigger below,
-- so any later change to what the values depend on reaches the server in the WAL, in
-- commit order, and the server may keep the values until then (authorizer.ts).
drop function if exists realtime.embedded_policy_gates(jsonb, jsonb);
drop function if exists realtime.embedded_policy_gates(jsonb, jsonb, bigint[]);
create function realtime.embedded_policy_gates(groups jsonb, facts jsonb, xids bigint[] default '{}')
returns table (group_no int, passed boolean, cacheable boolean)
language plpgsql
set search_path = ''
as $$
declare
  g jsonb;
  i int;
  r text;
  prev text;
  stmt text;
  restr text;
  bypass boolean;
  nos int[] := '{}';
  vals boolean[] := '{}';
  scans_before jsonb;
  ok boolean;
  seen boolean;
begin
  -- `xids`: the transactions that changed what gates read, decoded since the server last
  -- kept values; evaluated before their commits are visible, a value could miss a ban.
  seen := realtime.embedded_wait_visible(xids) >= 0;
  select coalesce(jsonb_object_agg(t.relid::text, t.seq_scan + coalesce(t.idx_scan, 0)), '{}')
    into scans_before
    from pg_catalog.pg_stat_xact_all_tables t
   where t.schemaname not in ('pg_catalog', 'information_schema', 'pg_toast');
  for i in 0 .. jsonb_array_length(groups) - 1 loop
    g := groups -> i;
    r := g ->> 'role';
    nos := nos || i;
    begin
      -- Groups of one role share its applicable policies and their prepared statement.
      if prev is distinct from r then
        prev := null;
        select a.rolsuper or a.rolbypassrls
               or (pg_catalog.pg_has_role(a.oid, (facts ->> 'owner')::oid, 'USAGE') and not (facts ->> 'force')::boolean)
          into bypass
          from pg_catalog.pg_roles a where a.rolname = r;
        if bypass is null then
          raise exception 'role "%" does not exist', r;
        end if;
        select coalesce(string_agg(format('(%s)', p ->> 'qual'), ' and ' order by p ->> 'name'), 'true')
          into restr
          from jsonb_array_elements(facts -> 'policies') as p
         where p ->> 'qual' is not null and not (p ->> 'permissive')::boolean
           and exists (select 1 from jsonb_array_elements_text(p -> 'roles') as pr(oid)
                        where pr.oid::oid = 0 or pg_catalog.pg_has_role(r, pr.oid::oid, 'USAGE'));
        stmt := 'rt_gate_' || left(md5(restr), 16);
        if not exists (select 1 from pg_catalog.pg_prepared_statements s where s.name = stmt) then
          execute format('prepare %I as select coalesce((%s), false)', stmt, restr);
        end if;
        prev := r;
      end if;
      if bypass then
        ok := true;
      else
        perform realtime.embedded_as_group(r, g ->> 'claims');
        execute format('execute %I', stmt) into ok;
        perform set_config('role', null, true);
      end if;
    exception when others then
      raise warning 'WarnApplyingRlsToSubscription: %', sqlerrm;
      ok := null;
    end;
    vals := vals || ok;
  end loop;
  perform set_config('role', null, true);
  cacheable := seen and not exists (
    select 1 from pg_catalog.pg_stat_xact_all_tables t
     where t.schemaname not in ('pg_catalog', 'information_schema', 'pg_toast')
       and t.seq_scan + coalesce(t.idx_scan, 0) > coalesce((scans_before ->> t.relid::text)::bigint, 0)
       and not exists (select 1 from pg_catalog.pg_trigger tg
                        where tg.tgrelid = t.relid and tg.tgname = 'realtime_embedded_gate_deps' and tg.tgenabled <> 'D'));
  return query select u.n, u.v, cacheable from unnest(nos, vals) as u(n, v);
end;
$$;
revoke execute on function realtime.embedded_policy_gates(jsonb, jsonb, bigint[]) from public, anon, authenticated;

-- What a gate read changed: a transactional logical message at the changing statement's
-- position, so the Realtime server drops the gate values it keeps before it judges any
-- change committed after this one (authorizer.ts). On auth.users, which the cut-off
-- reads (a ban is an auth.users update); a table of one's own gets the same with
-- `create trigger realtime_embedded_gate_deps after insert or update or delete or truncate
-- on <table> for each statement execute function realtime.embedded_gate_deps_changed()`.
-- Security definer: only superusers may emit logical messages here (above).
create or replace function realtime.embedded_gate_deps_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_catalog.pg_logical_emit_message(true, 'hotwatch.realtime.gate-deps', tg_relid::text);
  return null;
end;
$$;
revoke execute on function realtime.embedded_gate_deps_changed() from public, anon, authenticated;
drop trigger if exists realtime_embedded_gate_deps on auth.users;
create trigger realtime_embedded_gate_deps after insert or update or delete or truncate on auth.users
  for each statement execute function realtime.embedded_gate_deps_changed();

-- Daily partitions for yesterday through three days ahead; the Realtime server keeps
-- creating them daily and drops those older than three days, as Supabase's does.
do $$
declare d date;
begin
  for d in select generate_series(current_date - 1, current_date + 3, interval '1 day')::date loop
    execute format(
      'create table if not exists realtime.%I partition of realtime.messages for values from (%L) to (%L)',
      'messages_' || to_char(d, 'YYYY_MM_DD'), d, d + 1);
  end loop;
end
$$;

-- Publications ----------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime_messages_publication') then
    create publication supabase_realtime_messages_publication
      for table realtime.messages with (publish_via_partition_root = true);
  end if;
end
$$;
