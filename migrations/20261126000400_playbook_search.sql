-- Full-text search over playbooks: weighted tsvector (title A, category/tags B,
-- summary/steps C, body D) with a GIN index; pg_trgm for typo-tolerant title matches.
create extension if not exists pg_trgm with schema extensions;

create or replace function public.playbook_document(
  title text, category text, tags text[], summary text, body text, steps jsonb
)
returns tsvector
language sql
immutable parallel safe
set search_path = ''
as $$
  select setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
      || setweight(to_tsvector('english'::regconfig, replace(coalesce(category, ''), '_', ' ') || ' ' || replace(coalesce(array_to_string(tags, ' '), ''), '_', ' ')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(summary, '') || ' ' || coalesce(steps::text, '')), 'C')
      || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'D')
$$;

alter table public.playbooks
  add column fts tsvector generated always as (public.playbook_document(title, category, tags, summary, body, steps)) stored;
create index playbooks_fts_idx on public.playbooks using gin (fts);
create index playbooks_title_trgm_idx on public.playbooks using gin (title extensions.gin_trgm_ops);
create index playbooks_category_idx on public.playbooks (category);
