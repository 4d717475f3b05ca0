-- Playbook retrieval for alerts and operator searches (docs/functions.md "Playbook
-- retrieval"). One SQL function so the hotspot-scan function, the dashboard (via
-- PostgREST rpc) and the retrieval benchmark rank identically.
--
--   * Structure first. With an alert's category, only that category's playbooks are
--     candidates; with its severity, only playbooks whose `severities` include it.
--     Playbooks are written per event category, so a fire playbook is never the
--     answer for a flood alert, and an alert in a category without playbooks gets none.
--   * Two rankings fused by reciprocal rank fusion (Σ 1/(k + rank), k = 60, as
--     Supabase's hybrid_search): full text (ts_rank_cd over the weighted `fts`
--     vector, the query's lexemes OR-ed, because an alert description is long and
--     no playbook contains every word of it) and tag overlap with the alert's tags.
--   * Free text without a category (a search box) must clear a minimum cover-density
--     rank, so unrelated questions answer nothing instead of the least-bad playbook.
-- security invoker: callers see only the playbooks RLS lets them read.
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
    -- One pass over the candidates (no joins), so a poor row estimate cannot
    -- multiply the ts_rank_cd calls.
    select p.id, p.slug, p.title, p.category,
           case when q.q is not null and p.fts @@ q.q then ts_rank_cd(p.fts, q.q) end as r,
           array(select unnest(p.tags) intersect select unnest(coalesce(p_tags, '{}'::text[]))) as matched
      from public.playbooks p cross join q
     where (p.org_id is null or p.org_id = p_org_id)
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
  'Top playbooks for an alert (category, severity, tags, description) or a free-text search; see docs/functions.md.';
