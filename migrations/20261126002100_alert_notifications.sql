-- What an alert last notified operators about, so the scan re-notifies only when the
-- cluster grows or escalates beyond it (docs/functions.md "Alert lifecycle"), not on
-- every re-detection.
alter table public.alerts
  add column notified_observed integer check (notified_observed >= 0),
  add column notified_cells integer check (notified_cells >= 0),
  add column notified_severity public.severity;

comment on column public.alerts.notified_observed is 'Cases in the cluster at the last notification.';
comment on column public.alerts.notified_cells is 'Cells in the cluster at the last notification.';
comment on column public.alerts.notified_severity is 'Severity at the last notification; a higher tier is an escalation.';
