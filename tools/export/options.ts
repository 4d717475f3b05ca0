/** `npm run export -- --org <id> --from <ISO> --to <ISO> [--format csv|html] [--out file]`: the command line (pure). */
import { parseArgs } from 'node:util';
import { parsePeriod, type Period } from '../../after-action/index.ts';

export const USAGE = `usage: npm run export -- --org <org id> --from <ISO> --to <ISO> [--format csv|html] [--out <file>]

  --org <uuid>            the organisation
  --from, --to <ISO>      the period: from (included) to (excluded), e.g. 2026-12-01 or 2026-12-01T08:00:00+01:00
  --format csv|html       CSV (one table, a "section" column) or the printable HTML report
                          (default: from --out's extension, else csv)
  --out <file>            write here (default: standard output)

Reads as: HOTWATCH_ACCESS_TOKEN (a user's access token; RLS applies: a viewer exports what a
viewer may read) with SUPABASE_ANON_KEY, or SUPABASE_SERVICE_ROLE_KEY (everything of the org).
Target: SUPABASE_URL, else the local stack (http://127.0.0.1:$HOTWATCH_API_PORT, default 54321,
with its demo keys; without a token the local service key).`;

export type ExportFormat = 'csv' | 'html';

export interface ExportOptions {
  orgId: string;
  period: Period;
  format: ExportFormat;
  out: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parse argv (without node and the script); throws an Error whose message says what is wrong. */
export function parseExportOptions(argv: string[]): ExportOptions {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { org: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } },
  });
  if (!values.org || !UUID.test(values.org)) throw new Error('--org <org id> (a uuid) is required');
  if (!values.from || !values.to) throw new Error('--from <ISO> and --to <ISO> are required');
  const period = parsePeriod(values.from, values.to);
  const fromExt = values.out?.toLowerCase().endsWith('.html') || values.out?.toLowerCase().endsWith('.htm') ? 'html' : 'csv';
  const format = values.format ?? fromExt;
  if (format !== 'csv' && format !== 'html') throw new Error(`--format must be csv or html, got "${format}"`);
  return { orgId: values.org, period, format, out: values.out ?? null };
}

export type ReadAs =
  | { kind: 'user'; url: string; anonKey: string; accessToken: string }
  | { kind: 'service'; url: string; serviceKey: string };

/** Who the export reads as, from the environment; throws when a hosted target lacks a key. */
export function readAsFromEnv(env: NodeJS.ProcessEnv, local: { url: string; anonKey: string; serviceKey: string }): ReadAs {
  const hosted = env['SUPABASE_URL'];
  const url = hosted ?? local.url;
  const token = env['HOTWATCH_ACCESS_TOKEN'];
  if (token) {
    const anonKey = env['SUPABASE_ANON_KEY'] ?? (hosted ? undefined : local.anonKey);
    if (!anonKey) throw new Error('HOTWATCH_ACCESS_TOKEN is set for SUPABASE_URL but SUPABASE_ANON_KEY (the project\'s anon/publishable key) is not');
    return { kind: 'user', url, anonKey, accessToken: token };
  }
  const serviceKey = env['SUPABASE_SERVICE_ROLE_KEY'] ?? (hosted ? undefined : local.serviceKey);
  if (!serviceKey) throw new Error('SUPABASE_URL is set but neither HOTWATCH_ACCESS_TOKEN (with SUPABASE_ANON_KEY) nor SUPABASE_SERVICE_ROLE_KEY is');
  return { kind: 'service', url, serviceKey };
}
