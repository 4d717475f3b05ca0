-- Ingest throughput (issue 26, part 3). PostgreSQL's regex engine expands a counted
-- repetition (`{0,62}`, `{13}`) into that many NFA states, and walks them for every row:
-- on a 10,000-row batch of the ingest bench the two events CHECKs below cost ≈ 25 ms
-- (category 18 ms, h3_cell 9), against 1 and 3 ms for a `*` repetition with the length
-- checked apart (docs/functions.md "Ingest throughput"). Same rows accepted and refused,
-- same constraint names, same 23514.

-- `^[a-z][a-z0-9_]{0,62}$`: ASCII only, so octet_length is the length in characters.
alter table public.events drop constraint events_category_check;
alter table public.events add constraint events_category_check
  check (octet_length(category) <= 63 and category ~ '^[a-z][a-z0-9_]*$') not valid;
alter table public.events validate constraint events_category_check;

-- `^89[0-9a-f]{13}$` (resolution 9: the second hex digit).
alter table public.events drop constraint events_h3_cell_check;
alter table public.events add constraint events_h3_cell_check
  check (octet_length(h3_cell) = 15 and h3_cell ~ '^89[0-9a-f]*$') not valid;
alter table public.events validate constraint events_h3_cell_check;
