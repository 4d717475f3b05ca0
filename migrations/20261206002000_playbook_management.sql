-- Playbook management (issue 23 part 1): an org's admins write, retire and restore
-- their org's own playbooks and hide global ones for their org, through the
-- `playbooks` edge function (functions/playbooks), which audits each change in its
-- transaction. Clients never write these tables (revoked below and in the streams
-- migration); members read over REST under RLS.
--
--  * public.playbooks.org_id: null = global (seeded, read-only to orgs), else the
--    owning org. `fts` is a stored generated column (20261126000400), so an edit's
--    new text is searchable in the transaction that writes it.
--  * status active | retired: retired playbooks are never retrieved again; rows are
--    never deleted, so recommendations keep their foreign key, and their `citations`
--    snapshot (slug, title, summary, steps) keeps showing what was recommended.
--  * public.playbook_hidden: global playbooks an org has hidden from its retrieval.

create type public.playbook_status as enum ('active', 'retired');

alter table public.playbooks
  add column status public.playbook_status not null default 'active',
  add column updated_at timestamptz not null default now(),
  add column updated_by uuid references auth.users (id);
comment on column public.playbooks.status is 'active: retrieved for alerts; retired: never retrieved again, still cited by past recommendations.';

create index playbooks_org_id_idx on public.playbooks (org_id) where org_id is not null;

create table public.playbook_hidden (
  org_id uuid not null references public.orgs (id) on delete cascade,
  playbook_id uuid not null references public.playbooks (id),
  hidden_by uuid references auth.users (id),
  hidden_at timestamptz not null default now(),
  primary key (org_id, playbook_id)
);
comment on table public.playbook_hidden is 'Global playbooks an org has hidden: match_playbooks never returns them for that org.';
create index playbook_hidden_playbook_id_idx on public.playbook_hidden (playbook_id);

-- Only global playbooks can be hidden (an org retires its own instead).
create or replace function public.playbook_hidden_global_only()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from public.playbooks p where p.id = new.playbook_id and p.org_id is not null) then
    raise exception 'only global playbooks can be hidden' using errcode = 'check_violation';
  end if;
  return new;
end;
$$;
revoke execute on function public.playbook_hidden_global_only() from public, anon, authenticated;
create trigger playbook_hidden_global_only before insert or update on public.playbook_hidden
  for each row execute function public.playbook_hidden_global_only();

alter table public.playbook_hidden enable row level security;
revoke insert, update, delete, truncate on public.playbook_hidden from anon, authenticated;
create policy "members read their orgs' hidden playbooks" on public.playbook_hidden
  for select to authenticated
  using (((select auth.jwt()) -> 'org_roles') ? (org_id)::text);

-- Read: an org's members read all its playbooks (retired too: past recommendations
-- cite them); a global playbook is readable when, in one of the reader's orgs, it is
-- not hidden — or the reader is that org's admin (who must see it to unhide it).
drop policy "members read global and own playbooks" on public.playbooks;
create policy "members read their orgs' and visible global playbooks" on public.playbooks
  for select to authenticated
  using (
    (org_id is not null and ((select auth.jwt()) -> 'org_roles') ? (org_id)::text)
    or (org_id is null and exists (
      select 1 from jsonb_each_text(coalesce((select auth.jwt()) -> 'org_roles', '{}'::jsonb)) r
       where r.value = 'admin'
          or not exists (select 1 from public.playbook_hidden h where h.org_id = r.key::uuid and h.playbook_id = playbooks.id)))
  );

-- Retrieval: the org's active playbooks and the active global ones it has not hidden.
create or replace function public.match_playbooks(
  p_query text,
  p_category text default null,
  p_severity public.severity default null,
  p_tags text[] default '{}',
  p_org_id uuid default null,
  p_limit integer default 3,
  p_min_text_rank real default 1.5
)
returns table (
  playbook_id uuid,
  slug text,
  title text,
  category text,
  score double precision,
  text_rank real,
  tag_overlap integer,
  matched_tags text[]
)
language sql
stable
security invoker
set search_path = ''
as $$
  with q as (
    select nullif(replace(plainto_tsquery('english'::regconfig, coalesce(p_query, ''))::text, ' & ', ' | '), '')::tsquery as q
  ),
  pool as (
    select p.id, p.slug, p.title, p.category,
           case when q.q is not null and p.fts @@ q.q then ts_rank_cd(p.fts, q.q) end as r,
           array(select unnest(p.tags) intersect select unnest(coalesce(p_tags, '{}'::text[]))) as matched
      from public.playbooks p cross join q
     where p.status = 'active'
       and (p.org_id = p_org_id
            or (p.org_id is null
                and not exists (select 1 from public.playbook_hidden h where h.org_id = p_org_id and h.playbook_id = p.id)))
       and (p_category is null or p.category = p_category)
       and (p_severity is null or p_severity = any (p.severities))
  ),
  ranked as (
    select pool.*,
           case when pool.r is not null then row_number() over (order by pool.r desc nulls last, pool.slug) end as text_rn,
           case when p_category is not null then row_number() over (order by cardinality(pool.matched) desc, pool.slug) end as tag_rn
      from pool
  )
  select r.id, r.slug, r.title, r.category,
         coalesce(1.0 / (60 + r.text_rn), 0) + coalesce(1.0 / (60 + r.tag_rn), 0) as score,
         coalesce(r.r, 0)::real,
         cardinality(r.matched),
         r.matched
    from ranked r
   where p_category is not null or r.r >= p_min_text_rank
   order by score desc, r.slug
   limit least(greatest(coalesce(p_limit, 3), 1), 50)
$$;
comment on function public.match_playbooks(text, text, public.severity, text[], uuid, integer, real) is
  'Top active playbooks (the org''s own and its non-hidden global ones) for an alert or a free-text search; see docs/functions.md.';

-- Open Playbooks pages follow changes (Postgres Changes under the read policies above).
alter publication supabase_realtime add table public.playbooks, public.playbook_hidden;
