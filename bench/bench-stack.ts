/**
 * A dedicated embedded stack for one benchmark (fresh data directory, free ports,
 * seeded), or an existing database when HOTWATCH_BENCH_DB_URL is set.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { freePort } from '../stack/src/postgres/embedded.ts';
import type { StackConfig } from '../stack/src/config.ts';
import { startStack, type Stack } from '../stack/src/start.ts';

export interface BenchDb {
  sql: Sql;
  dbUrl: string;
  stack: Stack | null;
  close(): Promise<void>;
}

export async function benchDb(label: string, overrides: Partial<StackConfig> = {}): Promise<BenchDb> {
  const external = process.env.HOTWATCH_BENCH_DB_URL;
  if (external) {
    const sql = postgres(external, { max: 8, onnotice: () => {} });
    return { sql, dbUrl: external, stack: null, close: () => sql.end() };
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `hotwatch-bench-${label}-`));
  await fs.chmod(root, 0o755);
  const stack = await startStack({
    dataDir: path.join(root, 'pg'), apiPort: await freePort(), dbPort: await freePort(), fresh: true, quiet: true,
    // Free ports for the local inbox too: the defaults may be taken by a running `npm start`.
    mailPort: await freePort(), smtpPort: await freePort(),
    ...overrides,
  });
  const sql = postgres(stack.dbUrl, { max: 8, onnotice: () => {} });
  return {
    sql, dbUrl: stack.dbUrl, stack,
    async close() {
      await sql.end();
      await stack.stop();
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** True when the module is the process entry point (`node --import tsx bench/x.bench.ts`). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return !!entry && path.resolve(entry) === path.resolve(new URL(metaUrl).pathname);
}

export async function writeResult(name: string, result: unknown): Promise<void> {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, `${name}.json`), JSON.stringify(result, null, 2));
}
