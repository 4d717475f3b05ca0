/**
 * The after-action export, shared by the dashboard (bundled by Vite) and `npm run
 * export` (tools/export/): read through the caller's supabase-js client (RLS applies),
 * render as CSV or printable HTML. Never imports the stack.
 */
export { fetchAfterAction } from './fetch.ts';
export { CSV_COLUMNS, csvRecords, exportFileName, toCsv, type CsvColumn, type CsvRecord } from './csv.ts';
export { escapeHtml, reportBody, reportDocument, REPORT_CSS } from './html.ts';
export { MAX_PERIOD_DAYS, parsePeriod } from './period.ts';
export * from './model.ts';
