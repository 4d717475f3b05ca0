import { createInternalDb } from '../postgres/internal-db.ts';
import type { ServiceFactory } from '../service-types.ts';
import { startCronWorker } from './cron.ts';
import { startNetWorker } from './net.ts';

/**
 * The background workers that give the pure-SQL pg_cron and pg_net extensions their
 * behaviour (see install.ts for the SQL side): the cron scheduler and the HTTP worker.
 * They query every second, so they share a node-postgres pool of their own that rides
 * out PostgreSQL crashes (internal-db.ts), not the postgres.js admin pool.
 */
export const startExtensionWorkers: ServiceFactory = async (ctx) => {
  const db = createInternalDb(ctx.dbUrl, ctx.log, { max: 4, applicationName: 'hotwatch-workers' });
  const net = await startNetWorker({ db, log: ctx.log.child('pg_net') });
  const cron = await startCronWorker({ db, dbUrl: ctx.dbUrl, log: ctx.log.child('pg_cron') });
  return {
    name: 'workers',
    async stop() {
      await cron.stop();
      await net.stop();
      await db.end();
    },
  };
};
