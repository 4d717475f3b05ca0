/**
 * The 2-million-row import (issue 23): a generated history CSV streamed to disk, and
 * `npm run import` run as a child process under `/usr/bin/time -v`, whose "Maximum
 * resident set size" is the peak RSS of the largest process in the tree (npm, sh, the
 * import's node) — GNU time reads it from wait4()'s rusage (ru_maxrss of the children).
 * Shared by tests/integration/tools/import-rss.test.ts and bench/import.bench.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { REPO_ROOT } from '../../stack/src/config.ts';

export const TIME_BIN = '/usr/bin/time';
const CATEGORIES = ['fire', 'flood', 'traffic', 'crime', 'medical', 'infrastructure'];

/** Row i (1-based) of the generated history: a year before `end` (ms), points around Rotterdam. */
export function historyEvent(i: number, end: number): { external_id: string; occurred_at: string; category: string; lat: number; lng: number } {
  const year = 365 * 86_400_000;
  return {
    external_id: `H${i}`,
    occurred_at: new Date(end - Math.floor(((i * 2_654_435_761) % 1_000_003) / 1_000_003 * year)).toISOString(),
    category: CATEGORIES[i % CATEGORIES.length]!,
    lat: Number((51.88 + ((i * 7919) % 10_000) / 100_000).toFixed(5)),
    lng: Number((4.42 + ((i * 104_729) % 15_000) / 100_000).toFixed(5)),
  };
}

/**
 * Write `rows` rows of historyEvent (ISO timestamps with an offset) to `file` as CSV,
 * streamed: the writer honours back-pressure, so the file is never in memory.
 */
export async function writeHistoryCsv(file: string, rows: number, end: number): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write('ID,Date,Type,Latitude,Longitude,Note\n');
  const chunk: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const e = historyEvent(i, end);
    chunk.push(`${e.external_id},${e.occurred_at},${e.category},${e.lat},${e.lng},row ${i}\n`);
    if (chunk.length === 5000 || i === rows) {
      if (!out.write(chunk.join(''))) await once(out, 'drain');
      chunk.length = 0;
    }
  }
  out.end();
  await once(out, 'close');
  return fs.statSync(file).size;
}

export const HISTORY_MAP = ['--map', 'lat=Latitude,lng=Longitude,occurred_at=Date,category=Type,external_id=ID'];

export interface ImportRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in bytes (GNU time's "Maximum resident set size", KiB × 1024). */
  peakRssBytes: number;
  seconds: number;
}

/** `npm run import -- --org <org> …args` under /usr/bin/time -v against `target`. */
export async function timedImport(target: { url: string; key: string }, orgId: string, args: string[]): Promise<ImportRun> {
  const started = performance.now();
  const child = spawn(TIME_BIN, ['-v', 'npm', 'run', '--silent', 'import', '--', '--org', orgId, ...args], {
    cwd: REPO_ROOT, env: { ...process.env, SUPABASE_URL: target.url, SUPABASE_SERVICE_ROLE_KEY: target.key }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  // Progress lines every 5 s: keep the tail only.
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20_000); });
  const [code] = (await once(child, 'close')) as [number | null];
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!m) throw new Error(`no "Maximum resident set size" from ${TIME_BIN} -v:\n${stderr}`);
  return { code, stdout, stderr, peakRssBytes: Number(m[1]) * 1024, seconds: (performance.now() - started) / 1000 };
}

/** The summary line's counts. */
export function summaryCounts(stdout: string): { imported: number; duplicate: number; rejected: number } | null {
  const m = /^imported (\d+), duplicate (\d+), rejected (\d+)/m.exec(stdout);
  return m ? { imported: Number(m[1]), duplicate: Number(m[2]), rejected: Number(m[3]) } : null;
}
