/**
 * One running Realtime server instance: WebSocket endpoint, REST broadcast API,
 * replication stream → change pipeline, partitions, idle-socket sweeper. service.ts
 * wraps it so the stack can restart it in place.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.ts';
import { Authorizer } from './authorizer.ts';
import { handleBroadcastApi } from './broadcast-api.ts';
import { Catalog } from './catalog.ts';
import { CLOSE_CODES, SLOT_NAME, type RealtimeLimits } from './constants.ts';
import { RateWindow, type RealtimeContext } from './context.ts';
import { createDb, type Db } from './db.ts';
import { Hub } from './hub.ts';
import { TokenVerifier } from './jwt.ts';
import { Metrics } from './metrics.ts';
import { schedulePartitions } from './partitions.ts';
import { ChangePipeline } from './pipeline.ts';
import { PresenceHub } from './presence.ts';
import { ReplicationStream } from './replication.ts';
import type { Vsn } from './serializer.ts';
import { Socket } from './socket.ts';
import { SubscriptionRegistry } from './subscriptions.ts';

export interface ServerOptions {
  dbUrl: string;
  jwtSecret: string;
  limits: RealtimeLimits;
  log: Logger;
}

function rejectUpgrade(socket: Duplex, status: number, text: string, body = ''): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export class RealtimeServer {
  readonly metrics = new Metrics();
  private sql!: Db;
  private ctx!: RealtimeContext;
  private replication: ReplicationStream | undefined;
  private pipeline!: ChangePipeline;
  private wss!: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private stopping = false;
  private sweeper: NodeJS.Timeout | undefined;
  private partitions: { stop(): void } | undefined;
  private uid = 0;

  constructor(private readonly opts: ServerOptions) {}

  async start(): Promise<void> {
    const { limits, log } = this.opts;
    this.sql = createDb(this.opts.dbUrl, log, 6);
    const joins = new RateWindow(() => limits.maxJoinsPerSecond);
    const catalog = new Catalog(this.sql, log);
    const registry = new SubscriptionRegistry();
    const hub = new Hub(this.metrics);
    this.ctx = {
      limits, log, sql: this.sql, tokens: new TokenVerifier(this.opts.jwtSecret), catalog, hub,
      presence: new PresenceHub(), registry, metrics: this.metrics,
      replication: () => this.replication,
      tryJoin: () => joins.tryTake(),
      shuttingDown: () => this.stopping,
      nextUid: () => ++this.uid,
    };
    this.pipeline = new ChangePipeline({
      limits, log, catalog, registry, hub, metrics: this.metrics,
      authorizer: new Authorizer(this.sql, this.metrics),
      replication: () => this.replication,
    });
    const partitions = schedulePartitions(this.sql, log);
    this.partitions = partitions;
    await partitions.ready;
    this.replication = new ReplicationStream({
      dbUrl: this.opts.dbUrl, sql: this.sql, slot: SLOT_NAME, log,
      handlers: { onTransaction: (tx) => this.pipeline.enqueue(tx), onReset: () => this.pipeline.reset() },
    });
    await this.replication.start();
    await Promise.race([this.replication.whenStreaming(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false });
    this.sweeper = setInterval(() => this.sweep(), Math.min(5_000, Math.max(250, limits.idleTimeoutMs / 4)));
    this.sweeper.unref();
    log.info('realtime ready', { streaming: this.replication.isStreaming() });
  }

  /** Close sockets that sent nothing for idleTimeoutMs (Phoenix's websocket timeout). */
  private sweep(): void {
    const cutoff = Date.now() - this.opts.limits.idleTimeoutMs;
    for (const s of this.sockets) if (s.lastSeen < cutoff) s.close(CLOSE_CODES.normal, 'idle timeout');
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, subpath: string): void {
    const { limits, log } = this.opts;
    if (subpath !== '/websocket' && subpath !== '/websocket/') return rejectUpgrade(socket, 404, 'Not Found');
    if (this.stopping) return rejectUpgrade(socket, 503, 'Service Unavailable', JSON.stringify({ message: 'Realtime is restarting, please standby' }));
    const url = new URL(req.url ?? '/', 'http://realtime');
    const vsnParam = url.searchParams.get('vsn') ?? '1.0.0';
    if (vsnParam !== '1.0.0' && vsnParam !== '2.0.0') return rejectUpgrade(socket, 400, 'Bad Request', JSON.stringify({ message: `unsupported vsn ${vsnParam}` }));
    const headerKey = req.headers['x-api-key'];
    const token = (typeof headerKey === 'string' ? headerKey : undefined) ?? url.searchParams.get('apikey') ?? '';
    const xHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-') && k !== 'x-api-key' && typeof v === 'string') xHeaders[k] = v;
    socket.on('error', () => {});
    void this.ctx.tokens.verify(token).then((verified) => {
      if (!verified.ok) {
        log.warn('connection refused', { code: verified.code, message: verified.message });
        setTimeout(() => rejectUpgrade(socket, 401, 'Unauthorized', JSON.stringify({ message: `${verified.code}: ${verified.message}` })), limits.connectErrorBackoffMs).unref();
        return;
      }
      if (this.sockets.size >= limits.maxConnections) {
        log.warn('connection refused', { code: 'ConnectionRateLimitReached' });
        setTimeout(() => rejectUpgrade(socket, 429, 'Too Many Requests', JSON.stringify({ message: 'ConnectionRateLimitReached: Too many connected users' })), limits.connectErrorBackoffMs).unref();
        return;
      }
      // Not started yet (a restart in progress) or stopping: the client's reconnect backoff retries.
      if (this.stopping || !this.wss || socket.destroyed) return rejectUpgrade(socket, 503, 'Service Unavailable');
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (this.stopping) { ws.close(CLOSE_CODES.goingAway, 'server stopping'); return; }
        const s = new Socket(ws, socket, this.ctx, vsnParam as Vsn, token, xHeaders, (closed) => this.sockets.delete(closed));
        this.sockets.add(s);
      });
    });
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
    if (subpath === '/api/metrics') return this.metricsEndpoint(req, res);
    if (subpath.startsWith('/api/')) return handleBroadcastApi(this.ctx, req, res, subpath);
    const status = subpath === '/websocket' ? 400 : 404;
    const body = JSON.stringify({ message: status === 400 ? 'WebSocket upgrade required' : 'Not Found' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** (local) GET /realtime/v1/api/metrics with the service_role key: the counters as JSON. */
  private async metricsEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = String(req.headers.authorization ?? '').replace(/^bearer\s+/i, '');
    const verified = await this.ctx.tokens.verify(auth);
    const ok = verified.ok && verified.claims.role === 'service_role';
    const body = JSON.stringify(ok ? { ...this.metrics.snapshot(), subscriptions: this.ctx.registry.size, topics: this.ctx.hub.size, sockets: this.sockets.size } : { message: 'Unauthorized' });
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  isStreaming(): boolean {
    return this.replication?.isStreaming() ?? false;
  }

  whenStreaming(): Promise<void> {
    return this.replication?.whenStreaming() ?? Promise.resolve();
  }

  async stop(code: number = CLOSE_CODES.goingAway): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.sweeper);
    for (const s of [...this.sockets]) s.close(code, code === CLOSE_CODES.serviceRestart ? 'service restart' : 'server stopping', true);
    this.sockets.clear();
    this.wss?.close();
    this.partitions?.stop();
    await this.replication?.stop();
    this.replication = undefined;
    await this.sql?.end().catch(() => {});
    this.opts.log.info('realtime stopped', this.metrics.snapshot());
  }
}
