-- Ingest throughput (issue 26, part 3). The events CHECK on h3_cell and the count-cube
-- trigger called the SQL helpers public.h3_cell_resolution / h3_cell_to_parent once per
-- row. Those helpers carry `set search_path = ''`, so PostgreSQL never inlines them: every
-- call runs through fmgr's SET-clause wrapper (a GUC save/set/restore) and the SQL-function
-- executor. Measured on a 10,000-row batch of the ingest bench (docs/functions.md "Ingest
-- throughput"): the CHECK alone cost about half of a plain-table insert, and the pair took
-- the events insert from 1,075 to 717 ms per batch. The same rules are now written inline;
-- what is accepted, refused (same constraint name, 23514) and counted is unchanged.

-- `^8[0-9a-f]{14}$ and resolution = 9`: the resolution is bits 52–55, the second hex digit
-- of the 15-digit cell, so the pair is exactly one regular expression.
alter table public.events drop constraint events_h3_cell_check;
alter table public.events add constraint events_h3_cell_check
  check (h3_cell ~ '^89[0-9a-f]{13}$') not valid;
alter table public.events validate constraint events_h3_cell_check;

-- The res-8 parent inline (h3_cell_to_parent(cell, 8): resolution bits set to 8, digits
-- 9–15 set to 7); the rest of the trigger is unchanged.
create or replace function public.count_cube_add()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.count_cube as c (org_id, category, cell, bucket, n, weight_sum)
  select r.org_id, r.category,
         pg_catalog.lpad(pg_catalog.to_hex(
           ((('x' || pg_catalog.lpad(r.h3_cell, 16, '0'))::bit(64)::bigint & ~(15::bigint << 52)) | (8::bigint << 52))
           | ((1::bigint << 21) - 1)), 15, '0'),
         pg_catalog.date_bin('1 hour', r.occurred_at, timestamptz '2000-01-01 00:00:00+00'),
         count(*), sum(r.weight)
    from new_rows r
   group by 1, 2, 3, 4
   order by 1, 2, 4, 3
  on conflict (org_id, category, bucket, cell)
  do update set n = c.n + excluded.n, weight_sum = c.weight_sum + excluded.weight_sum;
  return null;
end;
$$;
revoke execute on function public.count_cube_add() from public, anon, authenticated;
