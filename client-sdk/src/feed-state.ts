/**
 * The lifecycle of one feed (one stream + immutable filters over one channel) as a
 * pure state machine: immutable states discriminated by `kind`, transitions that
 * return the next state and the effects for the driver to perform, time and
 * randomness passed in. The driver (feed.ts) only performs effects and feeds events.
 *
 *            start                 subscribed              ready
 *   idle ─────────▶ joining ───────────────▶ awaiting-ready ─────▶ catching-up ──caught-up──▶ live
 *                     ▲  │                        │ ready-timeout       │    ▲                  │
 *                     │  └─ channel-lost ──┐      ├─ channel-lost       │    └── ready / reconcile
 *               retry │                    ▼      ▼                     ▼        (server re-subscribed)
 *                     └──────────────── backoff ◀── catch-up-failed / channel-lost
 *                                         │ attempts > maxAttempts
 *                                         ▼
 *                                       failed ──reconnect──▶ joining        any ──close──▶ closed
 *
 * Live changes are routed by state (`route`): buffered from SUBSCRIBED until caught
 * up, delivered when live. A catch-up pages `stream_resume` from the cursor (null for
 * the initial snapshot) and only starts once the server says it is listening
 * (`ready`), so every change is either in the pages or arrives live; the ledger
 * de-duplicates the overlap by (id, version).
 */
import { fullJitterDelay, type RetryOptions } from './backoff.ts';
import { HotwatchError, SDK_ERROR_CODES } from './errors.ts';
import type { ConnectionStatus, StreamCursor } from './types.ts';

export type FeedKind = 'idle' | 'joining' | 'awaiting-ready' | 'catching-up' | 'live' | 'backoff' | 'failed' | 'closed';
export const FEED_KINDS: readonly FeedKind[] = ['idle', 'joining', 'awaiting-ready', 'catching-up', 'live', 'backoff', 'failed', 'closed'];

interface Common {
  /** Resume position after the last completed catch-up; null before the first snapshot. */
  readonly cursor: StreamCursor | null;
  /** Consecutive failures since the feed was last live. */
  readonly attempt: number;
  /** Generation of the current channel; events of older channels are ignored. */
  readonly join: number;
  /** Generation of the current catch-up; results of older ones are ignored. */
  readonly run: number;
  /** The failure that led to the current state, if any. */
  readonly error: HotwatchError | undefined;
}

export type FeedState =
  | (Common & { readonly kind: 'idle' })
  | (Common & { readonly kind: 'joining'; readonly since: number })
  | (Common & { readonly kind: 'awaiting-ready'; readonly since: number })
  /** `rerun`: the server re-subscribed (or the buffer overflowed) meanwhile; catch up once more. */
  | (Common & { readonly kind: 'catching-up'; readonly from: StreamCursor | null; readonly rerun: boolean })
  | (Common & { readonly kind: 'live'; readonly since: number })
  | (Common & { readonly kind: 'backoff'; readonly until: number })
  | (Common & { readonly kind: 'failed' })
  | (Common & { readonly kind: 'closed' });

export type FeedEvent =
  | { readonly type: 'start' }
  /** The channel's join succeeded (realtime-js SUBSCRIBED). */
  | { readonly type: 'subscribed'; readonly join: number }
  /** The server says it is listening ("Subscribed to PostgreSQL" / replication ready). */
  | { readonly type: 'ready'; readonly join: number }
  /** The server could not start listening yet (it retries by itself). */
  | { readonly type: 'ready-failed'; readonly join: number; readonly error: HotwatchError }
  | { readonly type: 'ready-timeout'; readonly join: number }
  /** CHANNEL_ERROR, TIMED_OUT or an unrequested CLOSED. */
  | { readonly type: 'channel-lost'; readonly join: number; readonly error: HotwatchError }
  | { readonly type: 'caught-up'; readonly run: number; readonly cursor: StreamCursor }
  | { readonly type: 'catch-up-failed'; readonly run: number; readonly error: HotwatchError }
  | { readonly type: 'buffer-overflow' }
  /** The backoff timer fired. */
  | { readonly type: 'retry' }
  /** Try again now (manual, network back online). */
  | { readonly type: 'reconnect' }
  /** Verify against the database while live (periodic, after a token change). */
  | { readonly type: 'reconcile' }
  | { readonly type: 'close' };

export type FeedEventType = FeedEvent['type'];
export const FEED_EVENT_TYPES: readonly FeedEventType[] = ['start', 'subscribed', 'ready', 'ready-failed', 'ready-timeout',
  'channel-lost', 'caught-up', 'catch-up-failed', 'buffer-overflow', 'retry', 'reconnect', 'reconcile', 'close'];

export type FeedEffect =
  | { readonly type: 'open-channel'; readonly join: number }
  | { readonly type: 'close-channel' }
  | { readonly type: 'arm-ready-timer'; readonly join: number; readonly ms: number }
  /** Start buffering live changes afresh (anything held is discarded). */
  | { readonly type: 'reset-buffer' }
  /** Page stream_resume from `cursor` (null = snapshot) and report caught-up/catch-up-failed. */
  | { readonly type: 'fetch'; readonly run: number; readonly cursor: StreamCursor | null }
  /** Merge the buffered live changes into the ledger and deliver them. */
  | { readonly type: 'apply-buffer' }
  | { readonly type: 'schedule-retry'; readonly ms: number }
  | { readonly type: 'cancel-timers' }
  | { readonly type: 'report'; readonly error: HotwatchError };

export type FeedEffectType = FeedEffect['type'];

export interface FeedMachineConfig {
  retry: RetryOptions;
  readyTimeoutMs: number;
}

/** Inputs from the outside world, so transitions never read the clock or Math.random. */
export interface FeedEnv {
  now: number;
  /** Uniform in [0, 1), drawn by the driver for this transition. */
  random: number;
}

export interface Transition {
  state: FeedState;
  effects: FeedEffect[];
}

/** Where a live change goes in this state. */
export type Route = 'buffer' | 'deliver' | 'ignore';

export function initialFeedState(): FeedState {
  return { kind: 'idle', cursor: null, attempt: 0, join: 0, run: 0, error: undefined };
}

export function route(state: FeedState): Route {
  switch (state.kind) {
    case 'awaiting-ready':
    case 'catching-up':
      return 'buffer';
    case 'live':
      return 'deliver';
    default:
      return 'ignore';
  }
}

export function statusOf(state: FeedState): ConnectionStatus {
  switch (state.kind) {
    case 'idle':
      return 'connecting';
    case 'joining':
    case 'awaiting-ready':
      return state.cursor === null && state.attempt === 0 ? 'connecting' : 'reconnecting';
    case 'catching-up':
      return 'catching-up';
    case 'live':
      return 'live';
    case 'backoff':
      return 'reconnecting';
    case 'failed':
    case 'closed':
      return 'offline';
  }
}

function common(s: FeedState): Common {
  return { cursor: s.cursor, attempt: s.attempt, join: s.join, run: s.run, error: s.error };
}

const same = (state: FeedState): Transition => ({ state, effects: [] });

/** Open the next channel generation. */
function joinNext(s: FeedState, env: FeedEnv, attempt: number): Transition {
  const join = s.join + 1;
  return {
    state: { ...common(s), kind: 'joining', since: env.now, join, attempt, error: s.error },
    effects: [{ type: 'open-channel', join }],
  };
}

/** Start a catch-up (or the initial snapshot when there is no cursor yet). */
function catchUp(s: FeedState): Transition {
  const run = s.run + 1;
  return {
    state: { ...common(s), kind: 'catching-up', run, from: s.cursor, rerun: false },
    effects: [{ type: 'fetch', run, cursor: s.cursor }],
  };
}

/** Drop the channel and wait (full jitter), or give up after maxAttempts. */
function fail(config: FeedMachineConfig, s: FeedState, env: FeedEnv, error: HotwatchError): Transition {
  const attempt = s.attempt + 1;
  const base = { ...common(s), attempt, error };
  if (attempt > config.retry.maxAttempts) {
    const exhausted = new HotwatchError(
      `Gave up after ${config.retry.maxAttempts} attempts to reconnect; call reconnect() to try again.`,
      { code: SDK_ERROR_CODES.retriesExhausted, cause: error },
    );
    return {
      state: { ...base, kind: 'failed', error: exhausted },
      effects: [{ type: 'close-channel' }, { type: 'reset-buffer' }, { type: 'report', error }, { type: 'report', error: exhausted }],
    };
  }
  const ms = fullJitterDelay(attempt - 1, env.random, config.retry);
  return {
    state: { ...base, kind: 'backoff', until: env.now + ms },
    effects: [{ type: 'close-channel' }, { type: 'reset-buffer' }, { type: 'report', error }, { type: 'schedule-retry', ms }],
  };
}

/** The transition function of one feed. */
export function transition(config: FeedMachineConfig, s: FeedState, e: FeedEvent, env: FeedEnv): Transition {
  if (s.kind === 'closed') return same(s);
  if (e.type === 'close') {
    return {
      state: { ...common(s), kind: 'closed' },
      effects: [{ type: 'cancel-timers' }, { type: 'close-channel' }, { type: 'reset-buffer' }],
    };
  }
  // Events of an older channel or catch-up are stale: ignore them.
  if ('join' in e && e.join !== s.join) return same(s);
  if ('run' in e && e.run !== s.run) return same(s);

  switch (e.type) {
    case 'start':
      return s.kind === 'idle' ? joinNext(s, env, 0) : same(s);

    case 'subscribed':
      // A second SUBSCRIBED on the same channel is a rejoin: listen again before trusting it.
      if (s.kind === 'joining' || s.kind === 'awaiting-ready' || s.kind === 'catching-up' || s.kind === 'live') {
        return {
          state: { ...common(s), kind: 'awaiting-ready', since: env.now },
          effects: [{ type: 'reset-buffer' }, { type: 'arm-ready-timer', join: s.join, ms: config.readyTimeoutMs }],
        };
      }
      return same(s);

    case 'ready':
      if (s.kind === 'awaiting-ready' || s.kind === 'live') return catchUp(s);
      if (s.kind === 'catching-up') return same({ ...s, rerun: true });
      return same(s);

    case 'ready-failed':
      // The server keeps retrying; say so and keep waiting until the ready timer.
      return s.kind === 'awaiting-ready' || s.kind === 'live' || s.kind === 'catching-up'
        ? { state: s, effects: [{ type: 'report', error: e.error }] }
        : same(s);

    case 'ready-timeout':
      return s.kind === 'awaiting-ready'
        ? fail(config, s, env, new HotwatchError(
          `The server did not confirm it was listening within ${config.readyTimeoutMs} ms of SUBSCRIBED.`,
          { code: SDK_ERROR_CODES.readyTimeout },
        ))
        : same(s);

    case 'channel-lost':
      return s.kind === 'joining' || s.kind === 'awaiting-ready' || s.kind === 'catching-up' || s.kind === 'live'
        ? fail(config, s, env, e.error)
        : same(s);

    case 'caught-up': {
      if (s.kind !== 'catching-up') return same(s);
      // Keep the cursor of the first page: rows of transactions after it may be unseen.
      const done: FeedState = { ...common(s), cursor: e.cursor, kind: 'live', since: env.now, attempt: 0, error: undefined };
      if (s.rerun) {
        const next = catchUp(done);
        return { state: next.state, effects: [{ type: 'apply-buffer' }, ...next.effects] };
      }
      return { state: done, effects: [{ type: 'apply-buffer' }] };
    }

    case 'catch-up-failed':
      return s.kind === 'catching-up' ? fail(config, s, env, e.error) : same(s);

    case 'buffer-overflow':
      // Safe to drop: every buffered change is also returned by a catch-up that starts later.
      if (s.kind === 'awaiting-ready') return { state: s, effects: [{ type: 'reset-buffer' }] };
      if (s.kind === 'catching-up') return { state: { ...s, rerun: true }, effects: [{ type: 'reset-buffer' }] };
      return same(s);

    case 'retry':
      return s.kind === 'backoff' ? joinNext(s, env, s.attempt) : same(s);

    case 'reconnect':
      if (s.kind === 'failed') return joinNext(s, env, 0);
      if (s.kind === 'backoff') return joinNext(s, env, s.attempt);
      return same(s);

    case 'reconcile':
      if (s.kind === 'live') return catchUp(s);
      if (s.kind === 'catching-up') return same({ ...s, rerun: true });
      return same(s);
  }
}
