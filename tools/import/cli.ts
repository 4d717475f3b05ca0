/**
 * `npm run import`: load an org's history from a CSV, GeoJSON or NDJSON file through
 * the `ingest-events` function (or `ingest-feed` with `--key`), streaming the file in
 * batches (docs/import.md).
 * Exit 0 when every row was stored (or was already) or rejected with a reason in
 * `<file>.rejects.csv`; 1 when a failure stopped the import (re-run to resume: stored
 * rows come back as duplicates); 2 for a bad command line.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { IngestEvent } from '../../functions/_shared/contract.ts';
import { ImportStopped, sendBatch, type Target } from './ingest-client.ts';
import { mapRow } from './mapping.ts';
import { parseOptions, USAGE, type ImportOptions } from './options.ts';
import { createProgress, summaryLine, type Counts } from './progress.ts';
import { openFile, readRows } from './readers.ts';
import { REJECTS_HEADER, rejectLine } from './rejects.ts';
/** Batches sent at once (each ≤ 1,000 events, so the function explains every rejection). */
const IN_FLIGHT = 4;

/** The local stack's service role key: the Supabase CLI's published demo key (not a secret). */
const LOCAL_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

/** Where to send: SUPABASE_URL or the local stack; a feed key replaces the service role key. */
function targetFromEnv(env: NodeJS.ProcessEnv, feedKey: string | null): Target {
  const url = env['SUPABASE_URL'] || `http://127.0.0.1:${env['HOTWATCH_API_PORT'] ?? 54321}`;
  if (feedKey) return { url, key: feedKey, via: 'ingest-feed' };
  if (env['SUPABASE_URL']) {
    const key = env['SUPABASE_SERVICE_ROLE_KEY'];
    if (!key) throw new Error('SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not (or give --key <feed key>)');
    return { url, key, via: 'ingest-events' };
  }
  return { url, key: env['SUPABASE_SERVICE_ROLE_KEY'] ?? LOCAL_SERVICE_ROLE_KEY, via: 'ingest-events' };
}

async function runImport(o: ImportOptions, target: Target): Promise<Counts> {
  const counts: Counts = { imported: 0, duplicate: 0, rejected: 0, outside: 0 };
  const input = openFile(o.file);
  const totalBytes = fs.statSync(o.file).size;
  const rejects = fs.createWriteStream(`${o.file}.rejects.csv`);
  rejects.write(REJECTS_HEADER);
  const reject = (row: number, original: string, reason: string): void => {
    counts.rejected++;
    rejects.write(rejectLine(row, original, reason));
  };
  const progress = createProgress(process.stderr, totalBytes);
  let events: IngestEvent[] = [];
  let meta: Array<{ row: number; original: string }> = [];
  let rows = 0;
  // Up to IN_FLIGHT batches are sent at once (the function's round trip, not parsing, bounds
  // a one-at-a-time import); answers are applied in send order, so the rejects file and the
  // counts read as if sequential. A re-run after a failure skips whatever was stored.
  const inFlight: Array<{ answer: ReturnType<typeof sendBatch>; meta: Array<{ row: number; original: string }> }> = [];
  const settleOldest = async (): Promise<void> => {
    const sent = inFlight.shift();
    if (!sent) return;
    const answer = await sent.answer;
    counts.imported += answer.accepted;
    counts.duplicate += answer.duplicate;
    counts.outside += answer.outsideArea;
    for (const [i, reason] of [...answer.rejected].sort((a, b) => a[0] - b[0])) reject(sent.meta[i]!.row, sent.meta[i]!.original, reason);
  };
  const flush = async (): Promise<void> => {
    if (events.length === 0) return;
    if (o.dryRun) {
      counts.imported += events.length;
    } else {
      const answer = sendBatch(target, o.orgId, events);
      answer.catch(() => {}); // awaited in order by settleOldest; no unhandled rejection meanwhile
      inFlight.push({ answer, meta });
      if (inFlight.length >= IN_FLIGHT) await settleOldest();
    }
    events = [];
    meta = [];
  };
  try {
    for await (const r of readRows(o.format, input)) {
      rows++;
      if ('reason' in r) {
        reject(r.row, r.original, r.reason);
      } else {
        const m = mapRow(r.raw, { columns: o.columns, categories: o.categories, tz: o.tz, source: o.source });
        if ('reason' in m) reject(r.row, r.original, m.reason);
        else {
          events.push(m.event);
          meta.push({ row: r.row, original: r.original });
          if (events.length >= o.batch) await flush();
        }
      }
      progress.update(rows, input.bytesRead, counts);
    }
    await flush();
    while (inFlight.length) await settleOldest();
  } finally {
    // A failure stops the import: let the other requests end before the summary.
    await Promise.allSettled(inFlight.map((x) => x.answer));
    progress.done();
    input.destroy();
    rejects.end();
    await once(rejects, 'close');
    process.stdout.write(`${o.dryRun ? 'dry run (nothing sent): ' : ''}${summaryLine(rows, counts)}\n`);
  }
  return counts;
}

async function main(): Promise<number> {
  let o: ImportOptions;
  let target: Target;
  try {
    o = parseOptions(process.argv.slice(2));
    target = targetFromEnv(process.env, o.feedKey);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const c = await runImport(o, target);
    if (c.rejected) process.stderr.write(`rejected rows and why: ${o.file}.rejects.csv\n`);
    return 0;
  } catch (e) {
    const why = e instanceof ImportStopped ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(`import stopped: ${why}\nre-run the same command to resume: rows already stored are skipped as duplicates.\n`);
    return 1;
  }
}

process.exitCode = await main();
