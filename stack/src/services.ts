import type { Sql } from 'postgres';
import type { StackConfig } from './config.ts';
import type { HttpMount } from './gateway/server.ts';
import type { Logger } from './log.ts';

/** What every stack service gets at start. */
export interface StackContext {
  config: StackConfig;
  apiUrl: string;
  dbUrl: string;
  /** Admin (postgres superuser) pool for the stack's own bookkeeping. */
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

/**
 * The services `startStack` runs, in start order. Each issue that adds a service
 * registers its factory here.
 */
export const SERVICE_FACTORIES: Array<{ name: string; load: () => Promise<ServiceFactory> }> = [];
