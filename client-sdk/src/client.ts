/**
 * `createHotwatch(supabase)`: typed, gap-free subscriptions to the three streams and
 * the function helpers. Subscriptions with the same stream, transport and immutable
 * filters share one feed (one channel, one ledger); each subscription is a view over
 * it with its own status/severity filter and `removed` bookkeeping.
 */
import { createClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import { invokeFunction, requests, type IngestOptions } from './actions.ts';
import type { AlertDecisionResult, IngestEvent, IngestResult, PlaybookRequest, PlaybookResult, RecommendationDecisionResult, ScanResult } from './contract.ts';
import { AuthBridge, type AccessTokenProvider } from './auth.ts';
import { RetryDefaults, type RetryOptions } from './backoff.ts';
import { DEFAULT_ITERATOR_HIGH_WATER_MARK, DEFAULT_MAX_BUFFERED_CHANGES, DEFAULT_PAGE_SIZE, DEFAULT_READY_TIMEOUT_MS } from './constants.ts';
import type { Database } from './database.types.ts';
import { HotwatchError, SDK_ERROR_CODES, toError } from './errors.ts';
import { EventQueue } from './event-queue.ts';
import { asHotwatchError, Feed, type FeedOptions, type FeedStats, type OpenChannel } from './feed.ts';
import type { FetchPage } from './resume.ts';
import { feedSpec, viewPredicate } from './filters.ts';
import { channelOpener, kickSocket, resumeFetcher } from './supabase-adapter.ts';
import type { SupabaseLike } from './supabase-types.ts';
import { STREAMS, type ConnectionStatus, type RowSource, type StreamEvent, type StreamHandler, type StreamName, type StreamRow, type SubscribeOptions, type Transport } from './types.ts';

export interface HotwatchOptions {
  /** `postgres_changes` (default) or `broadcast` (private channels fed by Broadcast from Database). */
  transport?: Transport;
  /** Called before every (re)join; its token is given to Realtime and used for the SDK's calls. */
  accessToken?: AccessTokenProvider;
  /** Reconnect backoff (full jitter) and its bound. */
  retry?: Partial<RetryOptions>;
  /** Wait for the server's "listening" system message after SUBSCRIBED (default 20 s). */
  readyTimeoutMs?: number;
  /** Rows per stream_resume page (≤ 1,000). */
  pageSize?: number;
  /** Live changes held while catching up before the buffer is replaced by one more catch-up. */
  maxBufferedChanges?: number;
  /** Catch up from the cursor every this many ms while live (0 = never, the default). */
  reconcileIntervalMs?: number;
  /** Delay of the catch-up that follows an access-token change (default 1 s). */
  tokenReconcileDelayMs?: number;
  /** Broadcast transport: wait for the replication-ready system message (default) or trust SUBSCRIBED. */
  broadcastReadiness?: 'replication-ready' | 'subscribed';
  /** Events `stream()` holds for a slow consumer before coalescing per row. */
  iteratorHighWaterMark?: number;
}

/** Either a ready SupabaseClient or what to build one from. */
export type HotwatchClientInput = SupabaseLike | { url: string; key: string; options?: SupabaseClientOptions<'public'> };

export interface FeedInfo {
  key: string;
  status: ConnectionStatus;
  subscribers: number;
  stats: FeedStats;
}

const STATUS_RANK: Record<ConnectionStatus, number> = { offline: 4, reconnecting: 3, connecting: 2, 'catching-up': 1, live: 0 };

class View<S extends StreamName> {
  readonly matched = new Set<number>();
  /** False until the view has been replayed what its feed already held. */
  attached = false;
  constructor(
    readonly stream: S,
    readonly handler: StreamHandler<S>,
    readonly category: string | undefined,
    readonly predicate: ((row: StreamRow<S>) => boolean) | undefined,
    readonly onError: ((e: HotwatchError) => void) | undefined,
  ) {}

  keeps(row: StreamRow<S>): boolean {
    if (this.category !== undefined && (row as { category?: string }).category !== this.category) return false;
    return this.predicate ? this.predicate(row) : true;
  }
}

interface FeedEntry<S extends StreamName> {
  feed: Feed<S>;
  views: Set<View<S>>;
}

export class Hotwatch {
  /** The SupabaseClient underneath (for queries the SDK does not wrap). */
  readonly supabase: SupabaseLike;
  readonly #auth: AuthBridge;
  readonly #transport: Transport;
  readonly #feedOptions: FeedOptions;
  readonly #options: HotwatchOptions;
  readonly #ownsClient: boolean;
  readonly #feeds = new Map<string, FeedEntry<StreamName>>();
  readonly #statusListeners = new Set<(s: ConnectionStatus) => void>();
  readonly #errorListeners = new Set<(e: HotwatchError) => void>();
  readonly #cleanup: Array<() => void> = [];
  #status: ConnectionStatus = 'offline';
  #closed = false;
  readonly #openChannel: OpenChannel;
  readonly #fetchPage: FetchPage;
  #tokenTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(input: HotwatchClientInput, options: HotwatchOptions = {}) {
    if (!('realtime' in input)) {
      this.supabase = createClient<Database>(input.url, input.key, input.options) as unknown as SupabaseLike;
      this.#ownsClient = true;
    } else {
      this.supabase = input;
      this.#ownsClient = false;
    }
    this.#options = options;
    this.#transport = options.transport ?? 'postgres_changes';
    this.#feedOptions = {
      retry: { ...RetryDefaults, ...options.retry },
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      pageSize: Math.min(Math.max(1, options.pageSize ?? DEFAULT_PAGE_SIZE), DEFAULT_PAGE_SIZE),
      maxBufferedChanges: options.maxBufferedChanges ?? DEFAULT_MAX_BUFFERED_CHANGES,
      broadcastReadiness: options.broadcastReadiness ?? 'replication-ready',
    };
    this.#auth = new AuthBridge(this.supabase, options.accessToken);
    this.#openChannel = channelOpener(this.supabase, this.#auth, this.#feedOptions.broadcastReadiness);
    this.#fetchPage = resumeFetcher(this.supabase, this.#auth);

    this.#cleanup.push(this.#auth.watch(() => this.#afterTokenChange()));
    const every = options.reconcileIntervalMs ?? 0;
    if (every > 0) {
      const t = setInterval(() => this.reconcile(), every);
      this.#cleanup.push(() => clearInterval(t));
    }
    // Browsers: retry at once when the network comes back or the tab is shown again
    // (timers are throttled in background tabs).
    type Target = { addEventListener?: (t: string, f: () => void) => void; removeEventListener?: (t: string, f: () => void) => void };
    const listen = (target: Target | undefined, type: string, fn: () => void): void => {
      if (typeof target?.addEventListener !== 'function' || typeof target.removeEventListener !== 'function') return;
      target.addEventListener(type, fn);
      this.#cleanup.push(() => target.removeEventListener?.(type, fn));
    };
    const g = globalThis as Target & { document?: Target & { visibilityState?: string } };
    listen(g, 'online', () => this.reconnect());
    listen(g.document, 'visibilitychange', () => { if (g.document?.visibilityState === 'visible') this.reconnect(); });
  }

  /** The worst status over all subscriptions (`offline` when there are none). */
  get status(): ConnectionStatus {
    return this.#status;
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Every failure of every subscription (besides each subscription's own onError). */
  onError(listener: (error: HotwatchError) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Subscribe to a stream: first the current rows (snapshot, RLS applies), then every
   * change, gap-free across reconnects. Returns an unsubscribe function (it resolves
   * once the channel is gone when this was the feed's last subscriber).
   */
  subscribe<S extends StreamName>(stream: S, handler: StreamHandler<S>, opts: SubscribeOptions<S> = {}): () => Promise<void> {
    if (this.#closed) throw new Error('This Hotwatch client is closed.');
    if (!STREAMS.includes(stream)) throw new TypeError(`Unknown stream "${String(stream)}"; use one of ${STREAMS.join(', ')}.`);
    if (typeof handler !== 'function') throw new TypeError('subscribe needs a handler function.');
    const spec = feedSpec(stream, this.#transport, opts);
    const view = new View<S>(stream, handler, opts.category, viewPredicate(stream, opts), opts.onError);
    let entry = this.#feeds.get(spec.key) as FeedEntry<S> | undefined;
    let fresh = false;
    if (!entry) {
      fresh = true;
      const created: FeedEntry<S> = {
        views: new Set(),
        feed: new Feed<S>({
          spec,
          openChannel: this.#openChannel,
          fetchPage: this.#fetchPage,
          options: this.#feedOptions,
          listener: {
            rows: (rows, source) => { for (const v of created.views) this.#deliver(v, rows, source); },
            status: (status, error) => {
              for (const v of created.views) if (v.attached) this.#emit(v, { type: 'status', stream, status, ...(error ? { error } : {}) });
              this.#recomputeStatus();
            },
            error: (error) => this.#report(error, [...created.views]),
          },
        }),
      };
      entry = created;
      this.#feeds.set(spec.key, entry as unknown as FeedEntry<StreamName>);
    }
    const target = entry;
    target.views.add(view);
    let detached = false;
    // Replay what the feed already holds and start it outside the caller's stack;
    // no change can reach the feed before this microtask runs.
    queueMicrotask(() => {
      if (detached) return;
      view.attached = true;
      this.#emit(view, { type: 'status', stream, status: target.feed.status });
      if (fresh) target.feed.start();
      else this.#deliver(view, [...target.feed.ledger.values()], 'snapshot');
      this.#recomputeStatus();
    });
    return async () => {
      if (detached) return;
      detached = true;
      target.views.delete(view);
      if (target.views.size === 0 && this.#feeds.get(spec.key) === (target as unknown as FeedEntry<StreamName>)) {
        this.#feeds.delete(spec.key);
        this.#recomputeStatus();
        await target.feed.close();
      }
    };
  }

  /** The async-iterator form of `subscribe`; `break` (or `return()`) unsubscribes. */
  stream<S extends StreamName>(stream: S, opts: SubscribeOptions<S> = {}): AsyncIterableIterator<StreamEvent<S>> {
    let unsubscribe: (() => Promise<void>) | undefined;
    const queue = new EventQueue<S>(this.#options.iteratorHighWaterMark ?? DEFAULT_ITERATOR_HIGH_WATER_MARK, () => { void unsubscribe?.(); });
    unsubscribe = this.subscribe(stream, (e) => queue.push(e), opts);
    return queue;
  }

  /** Give Realtime (and the SDK's own calls) a new access token; a catch-up follows. */
  async setAuth(token: string | null): Promise<void> {
    const changed = await this.#auth.set(token);
    if (changed) this.#afterTokenChange();
  }

  /**
   * Retry now every subscription that is waiting to reconnect or gave up, and kick
   * the socket out of realtime-js's own reconnect wait (browsers: on `online`).
   */
  reconnect(): void {
    if (this.#feeds.size === 0) return;
    for (const { feed } of this.#feeds.values()) feed.reconnect();
    kickSocket(this.supabase).catch((e: unknown) => this.#report(asHotwatchError(e, SDK_ERROR_CODES.channelError), []));
  }

  /** Catch up every live subscription from its cursor now (a consistency check). */
  reconcile(): void {
    for (const { feed } of this.#feeds.values()) feed.reconcile();
  }

  /** Per-feed status and counters. */
  feeds(): FeedInfo[] {
    return [...this.#feeds.entries()].map(([key, e]) => ({ key, status: e.feed.status, subscribers: e.views.size, stats: { ...e.feed.stats } }));
  }

  approve(recommendationId: number, reason?: string): Promise<RecommendationDecisionResult> {
    return this.#call(requests.approve(recommendationId, reason));
  }

  reject(recommendationId: number, reason: string): Promise<RecommendationDecisionResult> {
    return this.#call(requests.reject(recommendationId, reason));
  }

  acknowledgeAlert(alertId: number): Promise<AlertDecisionResult> {
    return this.#call(requests.acknowledge(alertId));
  }

  resolveAlert(alertId: number, reason?: string): Promise<AlertDecisionResult> {
    return this.#call(requests.resolve(alertId, reason));
  }

  triggerScan(orgId: string): Promise<ScanResult> {
    return this.#call(requests.scan(orgId));
  }

  ingest(orgId: string, events: readonly IngestEvent[], opts?: IngestOptions): Promise<IngestResult> {
    return this.#call(requests.ingest(orgId, events, opts));
  }

  /** An org admin's change to a playbook (create, update, retire, restore, hide, unhide). */
  managePlaybook(req: PlaybookRequest): Promise<PlaybookResult> {
    return this.#call(requests.playbook(req));
  }

  /** Unsubscribe everything and stop; resolves once every channel is gone. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const fn of this.#cleanup.splice(0)) fn();
    clearTimeout(this.#tokenTimer);
    const feeds = [...this.#feeds.values()];
    this.#feeds.clear();
    await Promise.all(feeds.map((e) => e.feed.close()));
    this.#recomputeStatus();
    if (this.#ownsClient) await this.supabase.realtime.disconnect();
  }

  #call<T>([name, body]: readonly [string, Record<string, unknown>]): Promise<T> {
    return invokeFunction<T>(this.supabase, this.#auth, name, body);
  }

  #afterTokenChange(): void {
    // Realtime re-authorizes the channels on the new token; some servers re-subscribe
    // the change feed meanwhile. A catch-up shortly after covers that window.
    if (this.#closed) return;
    clearTimeout(this.#tokenTimer);
    this.#tokenTimer = setTimeout(() => this.reconcile(), this.#options.tokenReconcileDelayMs ?? 1000);
  }

  #deliver<S extends StreamName>(view: View<S>, rows: ReadonlyArray<StreamRow<S>>, source: RowSource): void {
    if (!view.attached) return;
    for (const row of rows) {
      if (view.keeps(row)) {
        view.matched.add(row.id);
        this.#emit(view, { type: 'upsert', stream: view.stream, row, source });
      } else if (view.matched.delete(row.id)) {
        this.#emit(view, { type: 'removed', stream: view.stream, id: row.id, row });
      }
    }
  }

  #emit<S extends StreamName>(view: View<S>, event: StreamEvent<S>): void {
    try {
      view.handler(event);
    } catch (e) {
      this.#report(new HotwatchError(`A ${view.stream} subscription handler threw: ${toError(e).message}`, { code: 'handler_error', cause: e }), [view]);
    }
  }

  #report(error: HotwatchError, views: ReadonlyArray<{ readonly onError: ((e: HotwatchError) => void) | undefined }>): void {
    let heard = false;
    for (const v of views) {
      if (v.onError) {
        heard = true;
        try { v.onError(error); } catch (e) { queueMicrotask(() => { throw e; }); }
      }
    }
    for (const l of this.#errorListeners) {
      heard = true;
      try { l(error); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
    // Nobody listens: do not swallow it.
    if (!heard) console.warn('[hotwatch]', error);
  }

  #recomputeStatus(): void {
    let worst: ConnectionStatus | undefined;
    for (const { feed } of this.#feeds.values()) {
      const s = feed.status;
      if (worst === undefined || STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
    }
    const next = worst ?? 'offline';
    if (next === this.#status) return;
    this.#status = next;
    for (const l of this.#statusListeners) {
      try { l(next); } catch (e) { queueMicrotask(() => { throw e; }); }
    }
  }
}

/** Create the SDK over a SupabaseClient (or url + key + client options). */
export function createHotwatch(input: HotwatchClientInput, options?: HotwatchOptions): Hotwatch {
  return new Hotwatch(input, options);
}
