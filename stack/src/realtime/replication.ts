/**
 * One logical replication slot (pgoutput) over both Realtime publications, streamed in
 * commit order. Transactions are handed to the pipeline whole; the slot is confirmed
 * only up to what the pipeline has acknowledged (after fan-out), so anything not yet
 * delivered is re-sent after a reconnect. Reconnects by itself after its own errors and
 * PostgreSQL restarts.
 */
import pg from 'pg';
import type { Db } from './db.ts';
import type { Logger } from '../log.ts';
import { CHANGES_PUBLICATION, MESSAGES_PUBLICATION } from './constants.ts';
import type { FlowControl } from './flow-control.ts';
import { nowMs } from './metrics.ts';
import { PgOutputDecoder, PG_EPOCH_MICROS, lsnToString, type Relation, type Tuple } from './pgoutput.ts';
import { GATE_DEPS_PREFIX, parseRlsFactsMessage, RLS_FACTS_PREFIX, type TableRlsFacts } from './rls-facts.ts';

export type ChangeKind = 'INSERT' | 'UPDATE' | 'DELETE';

export interface RowChange {
  kind: ChangeKind;
  relation: Relation;
  newTuple: Tuple | null;
  oldTuple: Tuple | null;
  /** old tuple holds only the replica identity key ('K'), not the full row ('O'). */
  oldIsKey: boolean;
  /** Bytes of value text (for the 1 MiB record limit). */
  bytes: number;
}

export interface Transaction {
  /** Top-level transaction id (32-bit, as pgoutput's Begin carries it). */
  xid: number;
  commitLsn: bigint;
  endLsn: bigint;
  commitTimeMicros: bigint;
  changes: RowChange[];
  /** Relations (re)described in this transaction: their catalog entries may be stale. */
  relations: Relation[];
  /** RLS facts of tables whose DDL this transaction committed (the stack's event trigger; rls-facts.ts). */
  rlsFacts: TableRlsFacts[];
  /** It changed a table that gate policies read (realtime.embedded_gate_deps_changed; authorizer.ts). */
  gateDepsChanged: boolean;
  /** When its commit message was decoded here (epoch ms, sub-ms precision; stage tracing). */
  receivedAt: number;
}

export interface ReplicationHandlers {
  /** A committed transaction, in commit order. */
  onTransaction(tx: Transaction): void;
  /** The connection was reset: drop queued, unacknowledged transactions (they come again). */
  onReset(): void;
}

export interface ReplicationOptions {
  dbUrl: string;
  /** Admin pool for slot management. */
  sql: Db;
  slot: string;
  log: Logger;
  handlers: ReplicationHandlers;
}

type CopyConnection = {
  on(event: 'copyData', fn: (msg: { chunk: Buffer }) => void): void;
  on(event: 'replicationStart', fn: () => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: { pause(): void; resume(): void; destroy(): void };
};

const STATUS_INTERVAL_MS = 10_000;

export class ReplicationStream implements FlowControl {
  private client: pg.Client | undefined;
  private conn: CopyConnection | undefined;
  private stopped = false;
  private streaming = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private decoder = new PgOutputDecoder();
  private current: Transaction | undefined;
  /** End LSN of the last transaction handed to the pipeline. */
  private lastEmitted = 0n;
  /** Highest LSN the pipeline acknowledged (or that carried nothing for us). */
  private confirmed = 0n;
  private lastStatusAt = 0;
  private paused = false;
  private generation = 0;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly opts: ReplicationOptions) {}

  isStreaming(): boolean {
    return this.streaming;
  }

  /** Resolves once the stream is live (used by `replication_ready` and tests). */
  whenStreaming(): Promise<void> {
    if (this.streaming) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Create the slot if needed and skip any backlog (nobody is subscribed yet at start,
   * and a disconnected client's gap is closed by the SDK's catch-up), then stream.
   */
  async start(): Promise<void> {
    const { sql, slot } = this.opts;
    await this.ensureSlot();
    await sql`select pg_replication_slot_advance(${slot}, pg_current_wal_lsn())
              from pg_replication_slots where slot_name = ${slot} and not active
                and confirmed_flush_lsn < pg_current_wal_lsn()`.catch((e: unknown) => {
      this.opts.log.warn('could not advance the replication slot; streaming its backlog', { error: String(e) });
    });
    void this.connect();
  }

  private async ensureSlot(): Promise<void> {
    const { sql, slot } = this.opts;
    const rows = await sql`select active_pid from pg_replication_slots where slot_name = ${slot}`;
    if (rows.length === 0) {
      await sql`select pg_create_logical_replication_slot(${slot}, 'pgoutput')`.catch((e: unknown) => {
        if (!/already exists/.test(String(e))) throw e;
      });
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const gen = ++this.generation;
    const { log, slot } = this.opts;
    try {
      await this.ensureSlot();
      const client = new pg.Client({ connectionString: this.opts.dbUrl, replication: 'database', options: '-c TimeZone=UTC -c DateStyle=ISO' } as pg.ClientConfig);
      this.client = client;
      client.on('error', (e: Error) => this.disconnected(gen, e));
      client.on('end', () => this.disconnected(gen, new Error('replication connection ended')));
      await client.connect();
      if (gen !== this.generation || this.stopped) { await client.end().catch(() => {}); return; }
      const conn = (client as unknown as { connection: CopyConnection }).connection;
      this.conn = conn;
      conn.on('replicationStart', () => {
        if (gen !== this.generation) return;
        this.streaming = true;
        this.attempt = 0;
        log.info('replication streaming', { slot });
        for (const w of this.readyWaiters.splice(0)) w();
      });
      conn.on('copyData', ({ chunk }) => {
        if (gen !== this.generation) return;
        try {
          this.onCopyData(chunk);
        } catch (e) {
          log.error('replication stream decode failed', { error: String(e) });
          this.reconnect('decode error');
        }
      });
      const pubs = `${CHANGES_PUBLICATION},${MESSAGES_PUBLICATION}`;
      client.query(`START_REPLICATION SLOT "${slot}" LOGICAL 0/0 (proto_version '1', publication_names '${pubs}', messages 'true')`)
        .then(() => this.disconnected(gen, new Error('replication stream ended')), (e: unknown) => this.startFailed(gen, e));
      this.statusTimer ??= setInterval(() => this.sendStatus(false), STATUS_INTERVAL_MS);
    } catch (e) {
      this.disconnected(gen, e);
    }
  }

  private startFailed(gen: number, e: unknown): void {
    if (gen !== this.generation || this.stopped) return;
    const msg = String(e);
    const active = /is active for PID (\d+)/.exec(msg);
    if (active) {
      // A previous instance's walsender still holds the slot (e.g. after a crash): end it.
      this.opts.sql`select pg_terminate_backend(${Number(active[1])})`.catch(() => {});
    }
    this.disconnected(gen, e);
  }

  private disconnected(gen: number, e: unknown): void {
    if (gen !== this.generation) return;
    this.generation++;
    const wasStreaming = this.streaming;
    this.streaming = false;
    this.current = undefined;
    this.conn = undefined;
    const client = this.client;
    this.client = undefined;
    client?.removeAllListeners();
    client?.on('error', () => {});
    client?.end().catch(() => {});
    this.opts.handlers.onReset();
    this.lastEmitted = this.confirmed;
    if (this.stopped) return;
    const delay = Math.min(2_000, 100 * 2 ** Math.min(this.attempt++, 5));
    const level = wasStreaming || this.attempt === 1 ? 'warn' : 'info';
    this.opts.log[level]('replication disconnected; reconnecting', { error: String(e), inMs: delay });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  /** Drop the connection and resume from the last acknowledged LSN (e.g. after a failed batch). */
  reconnect(reason: string): void {
    this.disconnected(this.generation, new Error(reason));
  }

  private onCopyData(chunk: Buffer): void {
    const type = chunk[0];
    if (type === 0x6b /* k: keepalive */) {
      const walEnd = chunk.readBigUInt64BE(1);
      const replyRequested = chunk[17] === 1;
      // Nothing in flight: everything up to walEnd was sent and none of it is ours to wait for.
      if (!this.current && this.confirmed >= this.lastEmitted && walEnd > this.confirmed) {
        this.confirmed = walEnd;
        this.lastEmitted = walEnd;
      }
      if (replyRequested) this.sendStatus(true);
      return;
    }
    if (type !== 0x77 /* w: XLogData */) return;
    const msg = this.decoder.decode(chunk.subarray(25));
    switch (msg.tag) {
      case 'begin':
        this.current = { xid: msg.xid, commitLsn: msg.commitLsn, endLsn: 0n, commitTimeMicros: msg.commitTimeMicros, changes: [], relations: [], rlsFacts: [], gateDepsChanged: false, receivedAt: 0 };
        break;
      case 'message': {
        if (!msg.transactional) break;
        if (msg.prefix === GATE_DEPS_PREFIX) {
          if (this.current) this.current.gateDepsChanged = true;
          break;
        }
        if (msg.prefix !== RLS_FACTS_PREFIX) break;
        const facts = parseRlsFactsMessage(msg.content);
        if (facts) this.current?.rlsFacts.push(facts);
        else this.opts.log.warn('unreadable RLS facts message', { code: 'RealtimeRlsUndecided', content: msg.content.toString('utf8').slice(0, 200) });
        break;
      }
      case 'relation':
        this.current?.relations.push(msg.relation);
        break;
      case 'insert':
        this.current?.changes.push({ kind: 'INSERT', relation: msg.relation, newTuple: msg.newTuple, oldTuple: null, oldIsKey: false, bytes: msg.bytes });
        break;
      case 'update':
        this.current?.changes.push({ kind: 'UPDATE', relation: msg.relation, newTuple: msg.newTuple, oldTuple: msg.oldTuple, oldIsKey: msg.oldIsKey, bytes: msg.bytes });
        break;
      case 'delete':
        this.current?.changes.push({ kind: 'DELETE', relation: msg.relation, newTuple: null, oldTuple: msg.oldTuple, oldIsKey: msg.oldIsKey, bytes: msg.bytes });
        break;
      case 'commit': {
        const tx = this.current;
        this.current = undefined;
        if (!tx) break;
        tx.endLsn = msg.endLsn;
        tx.commitTimeMicros = msg.commitTimeMicros;
        tx.receivedAt = nowMs();
        this.lastEmitted = tx.endLsn;
        this.opts.handlers.onTransaction(tx);
        break;
      }
      default:
        break;
    }
  }

  /** The pipeline delivered everything up to `endLsn`. */
  ack(endLsn: bigint): void {
    if (endLsn > this.confirmed) this.confirmed = endLsn;
    if (Date.now() - this.lastStatusAt > 1_000) this.sendStatus(false);
  }

  private sendStatus(force: boolean): void {
    const conn = this.conn;
    if (!conn || !this.streaming) return;
    if (!force && this.confirmed === 0n) return;
    const buf = Buffer.alloc(34);
    buf[0] = 0x72; // r
    buf.writeBigUInt64BE(this.confirmed, 1); // written
    buf.writeBigUInt64BE(this.confirmed, 9); // flushed
    buf.writeBigUInt64BE(this.confirmed, 17); // applied
    buf.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS, 25);
    buf[33] = 0;
    try {
      conn.sendCopyFromChunk(buf);
      this.lastStatusAt = Date.now();
    } catch (e) {
      this.opts.log.warn('could not send replication status', { error: String(e), lsn: lsnToString(this.confirmed) });
    }
  }

  /** Back-pressure from the pipeline. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.conn?.stream.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.conn?.stream.resume();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.statusTimer);
    this.sendStatus(false);
    const client = this.client;
    this.client = undefined;
    this.conn = undefined;
    this.streaming = false;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => {});
      await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 2_000))]);
    }
  }
}
