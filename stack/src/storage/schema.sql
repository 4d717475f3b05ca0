-- The `storage` schema as Supabase Storage's tenant migrations leave it (supabase/storage
-- migrations/tenant: 0002-storage-schema, 0007 public, 0012 bucket limits, 0017 owner_id,
-- 0025 user_metadata, 0002-pathtoken-column): tables, helper functions, grants and RLS
-- enabled with no policies. Idempotent; applied at every start after the bootstrap.
-- On a hosted project this schema exists already, so it never goes in migrations/.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin nologin noinherit createrole;
  end if;
end $$;

create schema if not exists storage;
grant usage on schema storage to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges in schema storage grant all on sequences to postgres, anon, authenticated, service_role;

create table if not exists storage.buckets (
  id text primary key,
  name text not null,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  type text not null default 'STANDARD'
);
create unique index if not exists bname on storage.buckets using btree (name);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
grant all on storage.buckets, storage.objects to postgres, anon, authenticated, service_role;

create or replace function storage.foldername(name text) returns text[] language plpgsql immutable as $function$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1:array_length(_parts, 1) - 1];
end
$function$;

create or replace function storage.filename(name text) returns text language plpgsql immutable as $function$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end
$function$;

create or replace function storage.extension(name text) returns text language plpgsql immutable as $function$
declare _parts text[]; _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end
$function$;

-- One level of a "folder": files directly under `prefix` and the sub-folders (id null),
-- as Storage's search() answers POST /object/list. Runs as the caller (RLS decides).
create or replace function storage.search(
  prefix text, bucketname text, limits int default 100, levels int default 1, offsets int default 0,
  search text default '', sortcolumn text default 'name', sortorder text default 'asc'
) returns table (name text, id uuid, updated_at timestamptz, created_at timestamptz, last_accessed_at timestamptz, metadata jsonb)
language plpgsql stable as $function$
declare
  v_pattern text := replace(replace(replace(prefix || search, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  v_desc boolean := lower(sortorder) = 'desc';
  v_col text := case lower(sortcolumn) when 'updated_at' then 'updated_at' when 'created_at' then 'created_at'
                  when 'last_accessed_at' then 'last_accessed_at' else 'name' end;
begin
  return query
  with visible as (
    select o.path_tokens[levels] as part, array_length(o.path_tokens, 1) > levels as is_folder, o.*
    from storage.objects o
    where o.bucket_id = bucketname and o.name ilike v_pattern
  ), entries as (
    select distinct on (v.part) v.part as name,
      case when v.is_folder then null else v.id end as id,
      case when v.is_folder then null else v.updated_at end as updated_at,
      case when v.is_folder then null else v.created_at end as created_at,
      case when v.is_folder then null else v.last_accessed_at end as last_accessed_at,
      case when v.is_folder then null else v.metadata end as metadata
    from visible v
    order by v.part, v.is_folder
  )
  select e.name, e.id, e.updated_at, e.created_at, e.last_accessed_at, e.metadata from entries e
  order by
    case when not v_desc and v_col = 'name' then e.name end collate "C" asc,
    case when v_desc and v_col = 'name' then e.name end collate "C" desc,
    case when not v_desc and v_col = 'updated_at' then e.updated_at end asc,
    case when v_desc and v_col = 'updated_at' then e.updated_at end desc,
    case when not v_desc and v_col = 'created_at' then e.created_at end asc,
    case when v_desc and v_col = 'created_at' then e.created_at end desc,
    case when not v_desc and v_col = 'last_accessed_at' then e.last_accessed_at end asc,
    case when v_desc and v_col = 'last_accessed_at' then e.last_accessed_at end desc,
    e.name collate "C"
  limit limits offset offsets;
end
$function$;

alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
grant all on schema storage to supabase_storage_admin;
