-- The count-cube rows behind a hotspot's observed-vs-expected chart: its org × category
-- cube over a time range. Security invoker, so the caller's RLS decides — a member of
-- the hotspot's org (any role) gets the rows, anyone else none (the hotspot itself is
-- invisible to them). Called by the hotspot-series function as the user (their JWT
-- claims, role authenticated), which runs the detection engine's baseline estimate
-- over these rows; callable over REST too (POST /rest/v1/rpc/hotspot_cube). Never
-- raw events: counts per (res-8 cell, hour) only.
create or replace function public.hotspot_cube(p_hotspot_id bigint, p_from timestamptz, p_to timestamptz)
returns table (cell text, bucket timestamptz, n integer)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or p_to < p_from then
    raise exception 'p_from and p_to must be a time range with p_from <= p_to'
      using errcode = '22023';
  end if;
  -- 7 days charted + the scan's longest window + 90 days of history bound what a chart needs.
  if p_to - p_from > interval '100 days' then
    raise exception 'the range may span at most 100 days (asked for %)', p_to - p_from
      using errcode = '22023', hint = 'Ask for a shorter range.';
  end if;
  return query
    select c.cell, c.bucket, c.n
      from public.hotspots h
      join public.count_cube c on c.org_id = h.org_id and c.category = h.category
     where h.id = p_hotspot_id
       and c.bucket >= p_from and c.bucket < p_to and c.n > 0
     order by c.bucket, c.cell;
end;
$$;

comment on function public.hotspot_cube(bigint, timestamptz, timestamptz) is
  'Count-cube rows (cell, hour, n) of a hotspot''s org and category in [p_from, p_to); RLS of the caller applies (security invoker).';

revoke execute on function public.hotspot_cube(bigint, timestamptz, timestamptz) from public, anon;
grant execute on function public.hotspot_cube(bigint, timestamptz, timestamptz) to authenticated, service_role;
