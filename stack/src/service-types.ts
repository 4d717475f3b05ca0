/**
 * The service registry's types, apart from the registry (services.ts) so the services it
 * loads import them without importing the registry back (no import circle).
 */
import type { Sql } from 'postgres';
import type { StackConfig } from './config.ts';
import type { HttpMount } from './gateway/mount.ts';
import type { Logger } from './log.ts';

/** What every stack service gets at start. */
export interface StackContext {
  config: StackConfig;
  apiUrl: string;
  dbUrl: string;
  /**
   * Admin (postgres superuser) postgres.js pool for start-up bookkeeping. Code that
   * queries all the time uses a node-postgres pool of its own instead (postgres/internal-db.ts:
   * postgres.js can throw uncaught when PostgreSQL dies, porsager/postgres#1154).
   */
  sql: Sql;
  log: Logger;
}

/** A running stack service (REST, auth, realtime, functions, workers…). */
export interface StackService {
  name: string;
  mounts?: HttpMount[];
  stop(): Promise<void>;
}

export type ServiceFactory = (ctx: StackContext) => Promise<StackService>;
