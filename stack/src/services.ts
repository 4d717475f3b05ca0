import type { Sql } from 'postgres';
import type { StackConfig } from './config.ts';
import type { HttpMount } from './gateway/server.ts';
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

/**
 * The services `startStack` runs, in start order. Each issue that adds a service
 * registers its factory here.
 */
export const SERVICE_FACTORIES: Array<{ name: string; load: () => Promise<ServiceFactory> }> = [
  { name: 'workers', load: async () => (await import('./extensions/service.ts')).startExtensionWorkers },
  { name: 'mail', load: async () => (await import('./mail/service.ts')).startMail },
  { name: 'rest', load: async () => (await import('./rest/service.ts')).startRest },
  { name: 'auth', load: async () => (await import('./auth/service.ts')).startAuth },
  { name: 'realtime', load: async () => (await import('./realtime/service.ts')).startRealtime },
  { name: 'storage', load: async () => (await import('./storage/service.ts')).startStorage },
  { name: 'functions', load: async () => (await import('./functions-gateway/service.ts')).startFunctionsGateway },
  { name: 'dashboard', load: async () => (await import('./dashboard/service.ts')).startDashboard },
];
