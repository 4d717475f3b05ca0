import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from '../../../client-sdk/src/backoff.ts';
import { HotwatchError } from '../../../client-sdk/src/errors.ts';
import {
  FEED_EVENT_TYPES, FEED_KINDS, initialFeedState, route, statusOf, transition,
  type FeedEffectType, type FeedEvent, type FeedEventType, type FeedKind, type FeedMachineConfig, type FeedState,
} from '../../../client-sdk/src/feed-state.ts';
import type { StreamCursor } from '../../../client-sdk/src/types.ts';

const config: FeedMachineConfig = {
  retry: { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, maxAttempts: 3 },
  readyTimeoutMs: 5000,
};
const env = { now: 1_000, random: 0.5 };
const cursor = '42' as StreamCursor;
const err = new HotwatchError('boom', { code: 'channel_error' });
const base = { cursor, attempt: 1, join: 3, run: 2, error: undefined };

/** One representative state per kind (attempt 1 of 3, so a failure backs off). */
const STATES: Record<FeedKind, FeedState> = {
  idle: initialFeedState(),
  joining: { ...base, kind: 'joining', since: 0 },
  'awaiting-ready': { ...base, kind: 'awaiting-ready', since: 0 },
  'catching-up': { ...base, kind: 'catching-up', from: cursor, rerun: false },
  live: { ...base, attempt: 0, kind: 'live', since: 0 },
  backoff: { ...base, kind: 'backoff', until: 2000 },
  failed: { ...base, kind: 'failed' },
  closed: { ...base, kind: 'closed' },
};

/** The event of each type addressed to the state's current channel and catch-up. */
function eventFor(type: FeedEventType, s: FeedState): FeedEvent {
  switch (type) {
    case 'subscribed': case 'ready': case 'ready-timeout':
      return { type, join: s.join };
    case 'ready-failed': case 'channel-lost':
      return { type, join: s.join, error: err };
    case 'caught-up':
      return { type, run: s.run, cursor: '50' as StreamCursor };
    case 'catch-up-failed':
      return { type, run: s.run, error: err };
    default:
      return { type };
  }
}

type Expected = { to: FeedKind; effects: FeedEffectType[] };
const stay = (k: FeedKind): Expected => ({ to: k, effects: [] });
const CLOSE: Expected = { to: 'closed', effects: ['cancel-timers', 'close-channel', 'reset-buffer'] };
const BACKOFF: Expected = { to: 'backoff', effects: ['close-channel', 'reset-buffer', 'report', 'schedule-retry'] };
const REJOINED: Expected = { to: 'awaiting-ready', effects: ['reset-buffer', 'arm-ready-timer'] };
const OPEN: Expected = { to: 'joining', effects: ['open-channel'] };
const FETCH: Expected = { to: 'catching-up', effects: ['fetch'] };

/** Every kind × every event: a missing cell does not compile. */
const TABLE: Record<FeedKind, Record<FeedEventType, Expected>> = {
  idle: {
    start: OPEN, subscribed: stay('idle'), ready: stay('idle'), 'ready-failed': stay('idle'), 'ready-timeout': stay('idle'),
    'channel-lost': stay('idle'), 'caught-up': stay('idle'), 'catch-up-failed': stay('idle'), 'buffer-overflow': stay('idle'),
    retry: stay('idle'), reconnect: stay('idle'), reconcile: stay('idle'), close: CLOSE,
  },
  joining: {
    start: stay('joining'), subscribed: REJOINED, ready: stay('joining'), 'ready-failed': stay('joining'), 'ready-timeout': stay('joining'),
    'channel-lost': BACKOFF, 'caught-up': stay('joining'), 'catch-up-failed': stay('joining'), 'buffer-overflow': stay('joining'),
    retry: stay('joining'), reconnect: stay('joining'), reconcile: stay('joining'), close: CLOSE,
  },
  'awaiting-ready': {
    start: stay('awaiting-ready'), subscribed: REJOINED, ready: FETCH, 'ready-failed': { to: 'awaiting-ready', effects: ['report'] },
    'ready-timeout': BACKOFF, 'channel-lost': BACKOFF, 'caught-up': stay('awaiting-ready'), 'catch-up-failed': stay('awaiting-ready'),
    'buffer-overflow': { to: 'awaiting-ready', effects: ['reset-buffer'] }, retry: stay('awaiting-ready'), reconnect: stay('awaiting-ready'),
    reconcile: stay('awaiting-ready'), close: CLOSE,
  },
  'catching-up': {
    start: stay('catching-up'), subscribed: REJOINED, ready: stay('catching-up'), 'ready-failed': { to: 'catching-up', effects: ['report'] },
    'ready-timeout': stay('catching-up'), 'channel-lost': BACKOFF, 'caught-up': { to: 'live', effects: ['apply-buffer'] },
    'catch-up-failed': BACKOFF, 'buffer-overflow': { to: 'catching-up', effects: ['reset-buffer'] }, retry: stay('catching-up'),
    reconnect: stay('catching-up'), reconcile: stay('catching-up'), close: CLOSE,
  },
  live: {
    start: stay('live'), subscribed: REJOINED, ready: FETCH, 'ready-failed': { to: 'live', effects: ['report'] }, 'ready-timeout': stay('live'),
    'channel-lost': BACKOFF, 'caught-up': stay('live'), 'catch-up-failed': stay('live'), 'buffer-overflow': stay('live'),
    retry: stay('live'), reconnect: stay('live'), reconcile: FETCH, close: CLOSE,
  },
  backoff: {
    start: stay('backoff'), subscribed: stay('backoff'), ready: stay('backoff'), 'ready-failed': stay('backoff'), 'ready-timeout': stay('backoff'),
    'channel-lost': stay('backoff'), 'caught-up': stay('backoff'), 'catch-up-failed': stay('backoff'), 'buffer-overflow': stay('backoff'),
    retry: OPEN, reconnect: OPEN, reconcile: stay('backoff'), close: CLOSE,
  },
  failed: {
    start: stay('failed'), subscribed: stay('failed'), ready: stay('failed'), 'ready-failed': stay('failed'), 'ready-timeout': stay('failed'),
    'channel-lost': stay('failed'), 'caught-up': stay('failed'), 'catch-up-failed': stay('failed'), 'buffer-overflow': stay('failed'),
    retry: stay('failed'), reconnect: OPEN, reconcile: stay('failed'), close: CLOSE,
  },
  closed: {
    start: stay('closed'), subscribed: stay('closed'), ready: stay('closed'), 'ready-failed': stay('closed'), 'ready-timeout': stay('closed'),
    'channel-lost': stay('closed'), 'caught-up': stay('closed'), 'catch-up-failed': stay('closed'), 'buffer-overflow': stay('closed'),
    retry: stay('closed'), reconnect: stay('closed'), reconcile: stay('closed'), close: stay('closed'),
  },
};

describe('feed state machine: transition table', () => {
  for (const kind of FEED_KINDS) {
    for (const type of FEED_EVENT_TYPES) {
      it(`${kind} + ${type} → ${TABLE[kind][type].to}`, () => {
        const s = STATES[kind];
        const frozen = structuredClone(s);
        const { state, effects } = transition(config, s, eventFor(type, s), env);
        expect(state.kind).toBe(TABLE[kind][type].to);
        expect(effects.map((e) => e.type)).toEqual(TABLE[kind][type].effects);
        expect(s).toEqual(frozen); // transitions never mutate their input
        if (TABLE[kind][type].effects.length === 0 && state.kind === kind && !(type === 'ready' || type === 'reconcile')) {
          expect(state).toBe(s);
        }
      });
    }
  }
});

describe('feed state machine: details', () => {
  it('ignores events of an older channel or catch-up', () => {
    for (const kind of ['joining', 'awaiting-ready', 'catching-up', 'live'] as const) {
      const s = STATES[kind];
      for (const e of [
        { type: 'subscribed', join: s.join - 1 }, { type: 'ready', join: s.join - 1 }, { type: 'ready-timeout', join: s.join - 1 },
        { type: 'channel-lost', join: s.join - 1, error: err }, { type: 'caught-up', run: s.run - 1, cursor: '9' as StreamCursor },
        { type: 'catch-up-failed', run: s.run - 1, error: err },
      ] as FeedEvent[]) {
        const t = transition(config, s, e, env);
        expect(t.state).toBe(s);
        expect(t.effects).toEqual([]);
      }
    }
  });

  it('opens a new channel generation on every join and a new run on every catch-up', () => {
    let s = initialFeedState();
    s = transition(config, s, { type: 'start' }, env).state;
    expect(s.join).toBe(1);
    s = transition(config, s, { type: 'subscribed', join: 1 }, env).state;
    const t = transition(config, s, { type: 'ready', join: 1 }, env);
    expect(t.effects).toEqual([{ type: 'fetch', run: 1, cursor: null }]);
    s = transition(config, t.state, { type: 'caught-up', run: 1, cursor }, env).state;
    expect(s).toMatchObject({ kind: 'live', cursor, attempt: 0 });
    s = transition(config, s, { type: 'channel-lost', join: 1, error: err }, env).state;
    s = transition(config, s, { type: 'retry' }, env).state;
    expect(s).toMatchObject({ kind: 'joining', join: 2, attempt: 1 });
    s = transition(config, s, { type: 'subscribed', join: 2 }, env).state;
    const again = transition(config, s, { type: 'ready', join: 2 }, env);
    expect(again.effects).toEqual([{ type: 'fetch', run: 2, cursor }]); // catch-up from the kept cursor
  });

  it('keeps the first page cursor and reruns a catch-up the server interrupted', () => {
    const s = STATES['catching-up'];
    const marked = transition(config, s, { type: 'ready', join: s.join }, env).state;
    expect(marked).toMatchObject({ kind: 'catching-up', rerun: true });
    const done = transition(config, marked, { type: 'caught-up', run: s.run, cursor: '77' as StreamCursor }, env);
    expect(done.effects).toEqual([{ type: 'apply-buffer' }, { type: 'fetch', run: s.run + 1, cursor: '77' }]);
    expect(done.state).toMatchObject({ kind: 'catching-up', cursor: '77', rerun: false });
  });

  it('backs off with full jitter, bounded, and gives up after maxAttempts', () => {
    let s: FeedState = { ...STATES.live, attempt: 0 };
    const delays: number[] = [];
    for (let i = 0; i < config.retry.maxAttempts; i++) {
      const t = transition(config, s, { type: 'channel-lost', join: s.join, error: err }, { now: 0, random: 0.999 });
      const retry = t.effects.find((e) => e.type === 'schedule-retry');
      expect(t.state.kind).toBe('backoff');
      if (retry?.type === 'schedule-retry') delays.push(retry.ms);
      s = transition(config, transition(config, t.state, { type: 'retry' }, env).state, { type: 'subscribed', join: s.join + 1 }, env).state;
    }
    expect(delays).toEqual([99, 199, 399]); // 100·2^n capped at 1000, × 0.999
    const last = transition(config, s, { type: 'channel-lost', join: s.join, error: err }, env);
    expect(last.state.kind).toBe('failed');
    expect(last.state.error?.code).toBe('retries_exhausted');
    expect(last.effects.filter((e) => e.type === 'report')).toHaveLength(2);
    const back = transition(config, last.state, { type: 'reconnect' }, env).state;
    expect(back).toMatchObject({ kind: 'joining', attempt: 0 });
  });

  it('full jitter stays within [0, min(cap, base·2^n))', () => {
    for (let n = 0; n < 20; n++) {
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = fullJitterDelay(n, r, config.retry);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(1000, 100 * 2 ** n));
      }
    }
  });

  it('routes live changes by state and reports statuses', () => {
    const routes = Object.fromEntries(FEED_KINDS.map((k) => [k, route(STATES[k])]));
    expect(routes).toEqual({ idle: 'ignore', joining: 'ignore', 'awaiting-ready': 'buffer', 'catching-up': 'buffer', live: 'deliver', backoff: 'ignore', failed: 'ignore', closed: 'ignore' });
    const statuses = Object.fromEntries(FEED_KINDS.map((k) => [k, statusOf(STATES[k])]));
    expect(statuses).toEqual({ idle: 'connecting', joining: 'reconnecting', 'awaiting-ready': 'reconnecting', 'catching-up': 'catching-up', live: 'live', backoff: 'reconnecting', failed: 'offline', closed: 'offline' });
    expect(statusOf({ ...initialFeedState(), kind: 'joining', since: 0 })).toBe('connecting');
  });
});
