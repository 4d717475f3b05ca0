/** `npm run import -- --org <id> [options] <file>`: the command line (pure). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FEED_KEY_PATTERN } from '../../functions/_shared/feed-key.ts';
import { parseCategoryMap, parseColumnMap, type ColumnMap } from './mapping.ts';
import { formatOf, type Format } from './readers.ts';
import { assertTimeZone } from './timestamps.ts';

export const USAGE = `usage: npm run import -- --org <org id> [options] <file.csv|file.geojson|file.ndjson>

  --map lat=Latitude,lng=Longitude,occurred_at=Date,category=Type,external_id=ID
                          source column of each field (default: a column of the field's name)
  --category-map "FLOOD=flood,Water main break=infrastructure"
  --tz <IANA zone>        zone of timestamps without an offset (without it such rows are rejected)
  --source <name>         the events' source (default: the file's base name)
  --format csv|geojson|ndjson   (default: from the extension)
  --batch <n>             events per request, 1-1000 (default 1000)
  --key <feed key>        send through ingest-feed with the org's feed key (hwfk_…) instead of
                          the service role key (SUPABASE_SERVICE_ROLE_KEY is then not needed)
  --dry-run               read, map and write the rejects file, send nothing ("imported" = valid rows)

Target: SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (or --key) from the environment, else the local
stack (http://127.0.0.1:$HOTWATCH_API_PORT, default 54321, with its demo service key).`;

export interface ImportOptions {
  file: string;
  orgId: string;
  format: Format;
  columns: ColumnMap;
  categories: ReadonlyMap<string, string>;
  tz: string | null;
  source: string;
  batch: number;
  feedKey: string | null;
  dryRun: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parse argv (without node and the script); throws an Error whose message says what is wrong. */
export function parseOptions(argv: string[]): ImportOptions {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      org: { type: 'string' }, map: { type: 'string' }, 'category-map': { type: 'string' }, tz: { type: 'string' },
      source: { type: 'string' }, format: { type: 'string' }, batch: { type: 'string' }, key: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new Error('give exactly one file');
  const file = positionals[0]!;
  if (!values.org || !UUID.test(values.org)) throw new Error('--org <org id> (a uuid) is required');
  const format = (values.format ?? formatOf(file)) as Format | null;
  if (format !== 'csv' && format !== 'geojson' && format !== 'ndjson') throw new Error('cannot tell the format from the extension; give --format csv|geojson|ndjson');
  if (values.tz) {
    try {
      assertTimeZone(values.tz);
    } catch {
      throw new Error(`--tz: unknown time zone "${values.tz}"`);
    }
  }
  const batch = values.batch === undefined ? 1000 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new Error('--batch must be an integer from 1 to 1000');
  const source = (values.source ?? path.basename(file).replace(/\.[^.]+$/, '')).trim();
  if (!source || source.length > 100) throw new Error('--source must be 1-100 characters');
  if (values.key !== undefined && !FEED_KEY_PATTERN.test(values.key)) throw new Error('--key must be a feed key (hwfk_…), as the feed-keys function showed it');
  return {
    file, orgId: values.org, format, source, batch,
    columns: parseColumnMap(values.map),
    categories: parseCategoryMap(values['category-map']),
    tz: values.tz ?? null,
    feedKey: values.key ?? null,
    dryRun: values['dry-run'] === true,
  };
}
