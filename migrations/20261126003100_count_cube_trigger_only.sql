-- The count cube is written only by the events triggers (security definer), so
-- "cube = recount of events" cannot be broken by a direct write, not even with the
-- service key.
revoke insert, update, delete, truncate on public.count_cube from service_role;
