import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { mailUrl } from '../../stack/src/config.ts';
import { freePort } from '../../stack/src/postgres/embedded.ts';
import { startStack, type Stack } from '../../stack/src/start.ts';
import type { TestStackInfo } from './stack-info.ts';
import { pruneTestLogs, testLogFile } from './stack-log.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStackInfo;
  }
}

let stack: Stack | undefined;
let dataRoot: string | undefined;

/**
 * Integration tests share one embedded stack per run: a fresh PostgreSQL on free
 * ports, bootstrap + migrations (via the Supabase CLI) + seed, and the gateway with
 * all services. Set SUPABASE_URL (+ SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY,
 * SUPABASE_DB_URL) to run the portable tests against a real Supabase project instead.
 */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.SUPABASE_URL) {
    const need = (k: string): string => {
      const v = process.env[k];
      if (!v) throw new Error(`${k} is required when SUPABASE_URL is set`);
      return v;
    };
    project.provide('stack', {
      apiUrl: process.env.SUPABASE_URL,
      dbUrl: need('SUPABASE_DB_URL'),
      anonKey: need('SUPABASE_ANON_KEY'),
      serviceRoleKey: need('SUPABASE_SERVICE_ROLE_KEY'),
      jwtSecret: process.env.SUPABASE_JWT_SECRET ?? '',
      embedded: false,
    });
    return;
  }
  pruneTestLogs();
  const logFile = testLogFile(`stack-${project.name}`);
  dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-test-'));
  await fs.chmod(dataRoot, 0o755); // PostgreSQL runs as the unprivileged "postgres" user
  stack = await startStack({
    dataDir: path.join(dataRoot, 'pg'),
    apiPort: await freePort(),
    dbPort: await freePort(),
    mailPort: await freePort(),
    smtpPort: await freePort(),
    fresh: true,
    quiet: true,
    logFile,
  });
  project.provide('stack', {
    apiUrl: stack.apiUrl,
    dbUrl: stack.dbUrl,
    anonKey: stack.config.keys.anonKey,
    serviceRoleKey: stack.config.keys.serviceRoleKey,
    jwtSecret: stack.config.keys.jwtSecret,
    mailUrl: mailUrl(stack.config),
    smtpPort: stack.config.smtpPort,
    embedded: true,
    logFile,
  });
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  if (dataRoot) await fs.rm(dataRoot, { recursive: true, force: true });
}
