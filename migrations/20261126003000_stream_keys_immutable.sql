-- Stream rows keep their tenant and category for life. Realtime authorizes each
-- change by the row's current org: a row moved to another org would silently vanish
-- from its old tenant's streams (no event reaches them), and the SDK filters
-- server-side on org_id and category precisely because they never change.
create or replace function public.stream_row_stamp()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    new.version := 1;
  else
    -- recommendations have no category column; to_jsonb makes the check generic.
    if new.org_id is distinct from old.org_id
       or (to_jsonb(new) ->> 'category') is distinct from (to_jsonb(old) ->> 'category') then
      raise exception '% rows never change org_id or category (id %)', tg_table_name, old.id
        using errcode = '42501', hint = 'Create a new row in the other org or category instead.';
    end if;
    new.version := old.version + 1;
  end if;
  new.tx_id := pg_current_xact_id();
  new.updated_at := now();
  return new;
end;
$$;
