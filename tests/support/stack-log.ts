/**
 * Test stacks log to files (stack/src/log.ts fileSink), not the terminal: a green run
 * prints the test summary only, and a failing test prints where its stacks' logs are
 * and their last lines (tests/support/stack-log-setup.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../stack/src/config.ts';

/** Inside the repository (git-ignored), kept after the run so a failure can be read in full. */
export const TEST_LOG_DIR = path.join(REPO_ROOT, '.tmp', 'test-logs');
/** Logs of earlier runs older than this are deleted when a new one starts. */
const KEEP_MS = 24 * 3_600_000;
const TAIL_LINES = 40;

const watched = new Set<string>();

/** A new log file for a stack labelled `label`; watched by this test file's failure reports. */
export function testLogFile(label: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(TEST_LOG_DIR, `${label}-${stamp}-${process.pid}.log`);
  watchLogFile(file);
  return file;
}

export function watchLogFile(file: string): void {
  watched.add(file);
}

/** Delete test logs older than a day (called by the global setup). */
export function pruneTestLogs(): void {
  let entries: string[];
  try { entries = fs.readdirSync(TEST_LOG_DIR); } catch { return; }
  for (const f of entries) {
    const file = path.join(TEST_LOG_DIR, f);
    try { if (Date.now() - fs.statSync(file).mtimeMs > KEEP_MS) fs.rmSync(file, { force: true }); } catch { /* raced */ }
  }
}

/** "stack log <path> (last N lines):" and those lines, for each watched log that exists. */
export function watchedLogTails(): string {
  const out: string[] = [];
  for (const file of watched) {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    const lines = text.trimEnd().split('\n');
    const tail = lines.slice(-TAIL_LINES);
    out.push(`stack log ${path.relative(process.cwd(), file)} (${tail.length < lines.length ? `last ${tail.length} of ${lines.length}` : `${lines.length}`} lines; shared by the tests running beside this one):`, ...tail.map((l) => `  ${l}`));
  }
  return out.join('\n');
}
