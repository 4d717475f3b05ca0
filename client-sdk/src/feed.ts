/**
 * The I/O driver of one feed: it performs the state machine's effects (open/close
 * the channel, page stream_resume, timers) and turns channel callbacks into machine
 * events. Row bookkeeping goes through the ledger; nothing here decides lifecycle.
 */
import { CHANNEL_STATUS, OPERATION, SYSTEM_POSTGRES_EXTENSION, SYSTEM_REPLICATION_EXTENSION, SYSTEM_REPLICATION_READY_MESSAGE, SYSTEM_STATUS_ERROR, SYSTEM_STATUS_OK } from './constants.ts';
import { HotwatchError, SDK_ERROR_CODES, toError } from './errors.ts';
import { initialFeedState, route, statusOf, transition, type FeedEffect, type FeedEvent, type FeedMachineConfig, type FeedState } from './feed-state.ts';
import { matchesFeed, type FeedSpec } from './filters.ts';
import { fillUnchanged, Ledger } from './ledger.ts';
import { pageAll, type FetchPage } from './resume.ts';
import { toStreamRow } from './rows.ts';
import type { ConnectionStatus, RowSource, StreamName, StreamRow } from './types.ts';

/** Callbacks a channel adapter reports into. */
export interface ChannelHandlers {
  /** realtime-js subscribe status (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT, CLOSED). */
  onStatus(status: string, error?: Error): void;
  onSystem(payload: { extension?: unknown; status?: unknown; message?: unknown }): void;
  /** A row change: operation INSERT/UPDATE/DELETE and the new record. */
  onChange(operation: string, record: unknown): void;
}

export interface OpenedChannel {
  /** Leave and remove the channel; resolves once realtime-js no longer holds it. */
  close(): Promise<void>;
}

export type OpenChannel = (spec: FeedSpec<StreamName>, join: number, handlers: ChannelHandlers) => OpenedChannel;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface FeedOptions extends FeedMachineConfig {
  pageSize: number;
  maxBufferedChanges: number;
  /** How the server says it listens on a broadcast channel. */
  broadcastReadiness: 'replication-ready' | 'subscribed';
}

export interface FeedListener<S extends StreamName> {
  rows(rows: ReadonlyArray<StreamRow<S>>, source: RowSource): void;
  status(status: ConnectionStatus, error: HotwatchError | undefined): void;
  error(error: HotwatchError): void;
}

/** Counters for diagnostics and the benchmark. */
export interface FeedStats {
  catchUps: number;
  pagesFetched: number;
  rowsFetched: number;
  /** Live changes delivered / dropped as already delivered (duplicate or older). */
  liveDelivered: number;
  liveDropped: number;
  /** Rows held now. */
  rows: number;
  lastCatchUp: { rows: number; pages: number; ms: number; startedAt: number; finishedAt: number } | undefined;
}

export interface FeedDeps<S extends StreamName> {
  spec: FeedSpec<S>;
  openChannel: OpenChannel;
  fetchPage: FetchPage;
  options: FeedOptions;
  listener: FeedListener<S>;
  clock?: Clock;
  random?: () => number;
}

export class Feed<S extends StreamName> {
  readonly spec: FeedSpec<S>;
  readonly ledger = new Ledger<StreamRow<S>>();
  readonly stats: FeedStats = { catchUps: 0, pagesFetched: 0, rowsFetched: 0, liveDelivered: 0, liveDropped: 0, rows: 0, lastCatchUp: undefined };
  #state: FeedState = initialFeedState();
  #buffer: Array<StreamRow<S>> = [];
  /** The current channel generation; replaced on every open, cleared on close. */
  #current: { join: number; channel: OpenedChannel | undefined } | undefined;
  #closing: Array<Promise<void>> = [];
  #timers = new Set<unknown>();
  #fetchAbort: AbortController | undefined;
  #lastSystemError: string | undefined;
  #reportedStatus: ConnectionStatus = statusOf(this.#state);
  #reportedError: HotwatchError | undefined;
  readonly #deps: FeedDeps<S>;
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(deps: FeedDeps<S>) {
    this.#deps = deps;
    this.spec = deps.spec;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? Math.random;
  }

  get state(): FeedState {
    return this.#state;
  }

  get status(): ConnectionStatus {
    return statusOf(this.#state);
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }

  reconnect(): void {
    this.dispatch({ type: 'reconnect' });
  }

  reconcile(): void {
    this.dispatch({ type: 'reconcile' });
  }

  /** Stop for good; resolves once the channel is gone. */
  async close(): Promise<void> {
    this.dispatch({ type: 'close' });
    await Promise.all(this.#closing);
  }

  dispatch(event: FeedEvent): void {
    const { state, effects } = transition(this.#deps.options, this.#state, event, { now: this.#clock.now(), random: this.#random() });
    this.#state = state;
    for (const effect of effects) this.#perform(effect);
    const status = statusOf(state);
    if (status !== this.#reportedStatus || state.error !== this.#reportedError) {
      this.#reportedStatus = status;
      this.#reportedError = state.error;
      this.#deps.listener.status(status, state.error);
    }
  }

  #perform(effect: FeedEffect): void {
    switch (effect.type) {
      case 'open-channel':
        this.#open(effect.join);
        return;
      case 'close-channel': {
        const ch = this.#current?.channel;
        this.#current = undefined;
        this.#fetchAbort?.abort();
        if (ch) this.#track(ch.close());
        return;
      }
      case 'arm-ready-timer':
        this.#after(effect.ms, { type: 'ready-timeout', join: effect.join });
        return;
      case 'reset-buffer':
        this.#buffer = [];
        return;
      case 'fetch':
        void this.#fetch(effect.run, effect.cursor);
        return;
      case 'apply-buffer': {
        const buffered = this.#buffer;
        this.#buffer = [];
        const rows = this.ledger.merge(buffered.map((r) => fillUnchanged(this.ledger.get(r.id), r)));
        this.stats.rows = this.ledger.size;
        if (rows.length) this.#deps.listener.rows(rows, 'live');
        return;
      }
      case 'schedule-retry':
        this.#after(effect.ms, { type: 'retry' });
        return;
      case 'cancel-timers':
        for (const t of this.#timers) this.#clock.clearTimeout(t);
        this.#timers.clear();
        this.#fetchAbort?.abort();
        return;
      case 'report':
        this.#deps.listener.error(effect.error);
        return;
    }
  }

  #after(ms: number, event: FeedEvent): void {
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      this.dispatch(event);
    }, ms);
    this.#timers.add(handle);
  }

  async #openAfterClosing(join: number): Promise<void> {
    const current = { join, channel: undefined as OpenedChannel | undefined };
    this.#current = current;
    // A broadcast topic is fixed, and realtime-js returns the existing channel for a
    // topic: the previous generation must be fully removed before the next one opens.
    if (this.#closing.length) await Promise.all(this.#closing);
    if (this.#current !== current) return;
    this.#lastSystemError = undefined;
    const isCurrent = (): boolean => this.#current === current && this.#state.join === join;
    const broadcast = this.spec.transport === 'broadcast';
    const readyOnSubscribe = broadcast && this.#deps.options.broadcastReadiness === 'subscribed';
    const opened = this.#deps.openChannel(this.spec, join, {
      onStatus: (status, err) => {
        if (!isCurrent()) return;
        if (status === CHANNEL_STATUS.subscribed) {
          this.dispatch({ type: 'subscribed', join });
          if (readyOnSubscribe) this.dispatch({ type: 'ready', join });
          return;
        }
        this.dispatch({ type: 'channel-lost', join, error: this.#channelError(status, err) });
      },
      onSystem: (p) => {
        if (!isCurrent()) return;
        const message = typeof p.message === 'string' ? p.message : '';
        const ours = broadcast
          ? p.extension === SYSTEM_REPLICATION_EXTENSION && message === SYSTEM_REPLICATION_READY_MESSAGE
          : p.extension === SYSTEM_POSTGRES_EXTENSION;
        if (p.status === SYSTEM_STATUS_OK && ours && !readyOnSubscribe) {
          this.dispatch({ type: 'ready', join });
        } else if (p.status === SYSTEM_STATUS_ERROR) {
          this.#lastSystemError = message;
          if (ours) {
            this.dispatch({ type: 'ready-failed', join, error: new HotwatchError(`Realtime could not start listening: ${message}`, { code: SDK_ERROR_CODES.subscribeFailed, details: { ...p } }) });
          }
        }
      },
      onChange: (operation, record) => {
        if (!isCurrent() || operation === OPERATION.delete) return; // stream rows are never deleted
        this.#onChange(record);
      },
    });
    if (this.#current === current) current.channel = opened;
    else this.#track(opened.close()); // closed while opening
  }

  #track(closing: Promise<void>): void {
    const p = closing.catch((e: unknown) => this.#deps.listener.error(asHotwatchError(e, SDK_ERROR_CODES.channelError)));
    this.#closing.push(p);
    void p.finally(() => { this.#closing = this.#closing.filter((x) => x !== p); });
  }

  #open(join: number): void {
    this.#openAfterClosing(join).catch((e: unknown) => {
      if (this.#state.join === join) this.dispatch({ type: 'channel-lost', join, error: asHotwatchError(e, SDK_ERROR_CODES.channelError) });
    });
  }

  #channelError(status: string, err: Error | undefined): HotwatchError {
    const sys = this.#lastSystemError ? ` (${this.#lastSystemError})` : '';
    if (status === CHANNEL_STATUS.timedOut) {
      return new HotwatchError(`Realtime did not answer the channel join in time${sys}.`, { code: SDK_ERROR_CODES.channelTimeout, cause: err });
    }
    if (status === CHANNEL_STATUS.closed) {
      return new HotwatchError(`Realtime closed the channel${sys}.`, { code: SDK_ERROR_CODES.channelClosed, cause: err });
    }
    return new HotwatchError(`Realtime channel error: ${err?.message ?? status}${sys}.`, { code: SDK_ERROR_CODES.channelError, cause: err });
  }

  #onChange(record: unknown): void {
    const row = toStreamRow<S>(record);
    if (!row) {
      this.#deps.listener.error(new HotwatchError('A live change had no integer id/version; ignored.', { code: SDK_ERROR_CODES.invalidResponse, details: { record } }));
      return;
    }
    if (!matchesFeed(this.spec, row)) return;
    switch (route(this.#state)) {
      case 'buffer':
        this.#buffer.push(row);
        if (this.#buffer.length > this.#deps.options.maxBufferedChanges) this.dispatch({ type: 'buffer-overflow' });
        return;
      case 'deliver': {
        const full = fillUnchanged(this.ledger.get(row.id), row);
        if (this.ledger.offer(full)) {
          this.stats.liveDelivered++;
          this.stats.rows = this.ledger.size;
          this.#deps.listener.rows([full], 'live');
        } else {
          this.stats.liveDropped++;
        }
        return;
      }
      case 'ignore':
        return;
    }
  }

  async #fetch(run: number, cursor: FeedState['cursor']): Promise<void> {
    this.#fetchAbort?.abort();
    const abort = new AbortController();
    this.#fetchAbort = abort;
    const isCurrent = (): boolean => this.#state.kind === 'catching-up' && this.#state.run === run && !abort.signal.aborted;
    const source: RowSource = cursor === null ? 'snapshot' : 'catch-up';
    const startedAt = this.#clock.now();
    try {
      const result = await pageAll(this.#deps.fetchPage, { stream: this.spec.stream, cursor, pageSize: this.#deps.options.pageSize, signal: abort.signal },
        (rows) => {
          this.stats.pagesFetched++;
          this.stats.rowsFetched += rows.length;
          const delivered = this.ledger.merge(rows.filter((r) => matchesFeed(this.spec, r)));
          this.stats.rows = this.ledger.size;
          if (delivered.length) this.#deps.listener.rows(delivered, source);
        }, isCurrent);
      if (!result) return;
      const finishedAt = this.#clock.now();
      this.stats.catchUps++;
      this.stats.lastCatchUp = { rows: result.rows, pages: result.pages, ms: finishedAt - startedAt, startedAt, finishedAt };
      this.dispatch({ type: 'caught-up', run, cursor: result.cursor });
    } catch (e) {
      if (!isCurrent()) return;
      this.dispatch({ type: 'catch-up-failed', run, error: asHotwatchError(e, SDK_ERROR_CODES.resumeFailed) });
    }
  }
}

export function asHotwatchError(e: unknown, code: string): HotwatchError {
  if (e instanceof HotwatchError) return e;
  const err = toError(e);
  return new HotwatchError(err.message, { code, cause: e });
}
