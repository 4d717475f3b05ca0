import type { ServiceFactory } from '../services.ts';
import { startCronWorker } from './cron.ts';
import { startNetWorker } from './net.ts';

/**
 * The background workers that give the pure-SQL pg_cron and pg_net extensions their
 * behaviour (see install.ts for the SQL side): the cron scheduler and the HTTP worker.
 */
export const startExtensionWorkers: ServiceFactory = async (ctx) => {
  const net = await startNetWorker({ sql: ctx.sql, log: ctx.log.child('pg_net') });
  const cron = await startCronWorker({ sql: ctx.sql, dbUrl: ctx.dbUrl, log: ctx.log.child('pg_cron') });
  return {
    name: 'workers',
    async stop() {
      await cron.stop();
      await net.stop();
    },
  };
};
