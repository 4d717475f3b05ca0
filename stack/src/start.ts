import fs from 'node:fs/promises';
import postgres, { type Sql } from 'postgres';
import { apiUrl, dbUrl, resolveConfig, type StackConfig } from './config.ts';
import { startGateway, type Gateway } from './gateway/server.ts';
import { createLogger, fileSink, type Logger } from './log.ts';
import { installEmulatedExtensions } from './extensions/install.ts';
import { writeScanSecrets } from './extensions/secrets.ts';
import { applyBootstrap } from './postgres/bootstrap.ts';
import { applyStorageSchema } from './storage/schema.ts';
import { storageDirFor } from './storage/service.ts';
import { isPortTaken, PortInUseError, startEmbeddedPostgres, type RunningPostgres } from './postgres/embedded.ts';
import { pendingMigrations, pushMigrations } from './postgres/migrate.ts';
import { SERVICE_FACTORIES } from './services.ts';
import type { StackContext, StackService } from './service-types.ts';
import { supervise, type Supervisor } from './supervisor.ts';

export interface Stack {
  config: StackConfig;
  apiUrl: string;
  dbUrl: string;
  sql: Sql;
  /** PostgreSQL under supervision: restarted on the same data directory when it dies. */
  postgres: Supervisor<RunningPostgres>;
  /** Settles only if a supervised process could not be brought back (the reason, one line). */
  failed: Promise<Error>;
  gateway: Gateway;
  services: Map<string, StackService>;
  /** Milliseconds from call to ready, per phase. */
  timings: Record<string, number>;
  log: Logger;
  stop(): Promise<void>;
}

/**
 * Start the whole embedded stack: PostgreSQL, the Supabase bootstrap, migrations (via
 * the pinned Supabase CLI), seed on a new database, the gateway and its services.
 * Shared by `npm start` and the test harness.
 */
export async function startStack(overrides: Partial<StackConfig> = {}): Promise<Stack> {
  const config = resolveConfig(overrides);
  const log = config.logFile ? createLogger('hotwatch', false, fileSink(config.logFile)) : createLogger('hotwatch', config.quiet);
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const mark = (phase: string): void => { timings[phase] = Math.round(performance.now() - t0); };

  if (config.fresh) {
    await fs.rm(config.dataDir, { recursive: true, force: true });
    await fs.rm(storageDirFor(config.dataDir), { recursive: true, force: true });
  }

  // Before the slow part: a taken API port would otherwise fail only after migrations.
  if (await isPortTaken(config.host, config.apiPort)) throw new PortInUseError(config.apiPort, 'API gateway');
  log.info('starting PostgreSQL', { port: config.dbPort, dataDir: config.dataDir });
  let fail!: (e: Error) => void;
  const failed = new Promise<Error>((resolve) => { fail = resolve; });
  const pg = await supervise({
    name: 'PostgreSQL', log: log.child('supervisor'), onGiveUp: fail,
    start: (restart) => startEmbeddedPostgres({
      dataDir: config.dataDir, host: config.host, port: config.dbPort,
      user: config.dbUser, password: config.dbPassword, log: log.child('postgres'), restart,
      ownProcessGroup: config.postgresOwnProcessGroup,
    }),
  });
  mark('postgres');

  const url = dbUrl(config);
  const sql = postgres(url, { max: 5, onnotice: () => {}, connection: { application_name: 'hotwatch-stack' } });
  const cleanup: Array<() => Promise<void>> = [];
  // A stop that hangs says which part it waits for (every 10 s), so a stuck `npm start` is diagnosable.
  const stopping = async (what: string, fn: () => Promise<void>): Promise<void> => {
    const t = performance.now();
    const timer = setInterval(() => log.info(`still stopping ${what}`, { ms: Math.round(performance.now() - t) }), 10_000);
    try { await fn(); } finally { clearInterval(timer); }
  };
  try {
    // pg_cron, pg_net, supabase_vault as pure-SQL extensions, before migrations create them.
    await installEmulatedExtensions(sql);
    await applyBootstrap(sql);
    await applyStorageSchema(sql);
    mark('bootstrap');

    log.info('checking migrations (supabase db push when any are pending)');
    const seeded = await sql`select 1 from pg_namespace where nspname = 'supabase_migrations'`.then((r) => r.length > 0);
    const seed = config.seed && !seeded;
    const out = seed || (await pendingMigrations(sql)).length > 0
      ? await pushMigrations(url, { seed })
      : 'Local database is up to date (no pending migrations).';
    for (const line of out.split('\n')) if (/Applying|Seeding|up to date/i.test(line)) log.info(line.trim());
    mark('migrations');

    const gateway = await startGateway({ host: config.host, port: config.apiPort, keys: config.keys, log: log.child('gateway') });
    cleanup.push(() => stopping('gateway', () => gateway.close()));
    // The vault secrets the scan schedule reads: never in migrations, rewritten at every start.
    await writeScanSecrets(sql, { projectUrl: gateway.url, scanKey: config.keys.serviceRoleKey });
    const ctx: StackContext = { config, apiUrl: apiUrl(config), dbUrl: url, sql, log };
    const services = new Map<string, StackService>();
    for (const entry of SERVICE_FACTORIES) {
      const factory = await entry.load();
      const service = await factory({ ...ctx, log: log.child(entry.name) });
      services.set(entry.name, service);
      cleanup.unshift(() => stopping(entry.name, () => service.stop()));
      for (const m of service.mounts ?? []) gateway.mount(m);
      mark(`service:${entry.name}`);
    }
    mark('ready');

    let stopped: Promise<void> | undefined;
    return {
      config, apiUrl: ctx.apiUrl, dbUrl: url, sql, postgres: pg, failed, gateway, services, timings, log,
      stop() {
        stopped ??= (async () => {
          for (const fn of cleanup) await fn().catch((e: unknown) => log.warn('stop failed', { error: String(e) }));
          await sql.end({ timeout: 5 });
          await stopping('PostgreSQL', () => pg.stop());
        })();
        return stopped;
      },
    };
  } catch (e) {
    for (const fn of cleanup) await fn().catch(() => {});
    await sql.end({ timeout: 2 }).catch(() => {});
    await pg.stop().catch(() => {});
    throw e;
  }
}
