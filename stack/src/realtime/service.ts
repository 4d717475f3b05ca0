/**
 * The embedded Realtime service: mounted at /realtime/v1 on the gateway
 * (WebSocket /realtime/v1/websocket, REST /realtime/v1/api/broadcast…).
 *
 * Besides `stop()`, the returned object offers:
 *   restart()   stop the server in place (clients see close 1012 and reconnect) and
 *               start a fresh instance on the same mount — for fault-injection tests;
 *   metrics()   counters (connections, channels, deliveries, RLS queries…);
 *   limits      the resolved named limits;
 *   ready()     resolves when the replication stream is live.
 * Options: startStack({ realtime: { systemMessageDelayMs: 2000, … } }) or the
 * HOTWATCH_REALTIME_* environment variables (constants.ts LIMIT_ENV).
 */
import type { ServiceFactory, StackService } from '../service-types.ts';
import { resolveRealtimeLimits } from './config.ts';
import { CLOSE_CODES, type RealtimeLimits } from './constants.ts';
import { RealtimeServer } from './server.ts';

export interface RealtimeService extends StackService {
  restart(): Promise<void>;
  metrics(): Record<string, number>;
  /** Forget the recorded commit → send lags (benchmarks). */
  resetLag(): void;
  ready(): Promise<void>;
  readonly limits: RealtimeLimits;
}

export const startRealtime: ServiceFactory = async (ctx) => {
  const limits = resolveRealtimeLimits(ctx.config.realtime ?? {});
  const make = (): RealtimeServer => new RealtimeServer({ dbUrl: ctx.dbUrl, jwtSecret: ctx.config.keys.jwtSecret, limits, log: ctx.log });
  let server = make();
  await server.start();
  let restarting: Promise<void> | undefined;

  const service: RealtimeService = {
    name: 'realtime',
    limits,
    mounts: [{
      prefix: '/realtime/v1',
      handle: (req, res, subpath) => server.handleHttp(req, res, subpath),
      upgrade: (req, socket, head, subpath) => server.handleUpgrade(req, socket, head, subpath),
    }],
    restart() {
      restarting ??= (async () => {
        ctx.log.info('restarting realtime');
        await server.stop(CLOSE_CODES.serviceRestart);
        server = make();
        await server.start();
      })().finally(() => { restarting = undefined; });
      return restarting;
    },
    metrics: () => server.metrics.snapshot(),
    resetLag: () => server.metrics.resetLag(),
    ready: () => server.whenStreaming(),
    stop: async () => {
      await restarting?.catch(() => {});
      await server.stop();
    },
  };
  return service;
};
