/**
 * Model-based test of the feed driver + state machine + ledger against a simulated
 * database (transaction ids, snapshots, xmin cursors, long transactions) and a
 * simulated Realtime server (join reply, a listening point that precedes the
 * "Subscribed to PostgreSQL" message, lost changes while not listening, dropped
 * sockets). fast-check drives random interleavings; the guarantee is checked at the end:
 * every row at its committed version, versions strictly increasing, never twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HotwatchError } from '../../../client-sdk/src/errors.ts';
import { Feed, type ChannelHandlers, type Clock, type FeedOptions } from '../../../client-sdk/src/feed.ts';
import { feedSpec } from '../../../client-sdk/src/filters.ts';
import type { FetchPage, ResumePage } from '../../../client-sdk/src/resume.ts';
import type { StreamCursor, StreamName, StreamRow } from '../../../client-sdk/src/types.ts';

const ORG = '00000000-0000-4000-8000-000000000001';

interface DbRow { id: number; version: number; tx_id: string; org_id: string; status: string }

class FakeDb {
  nextXid = 100;
  rows = new Map<number, DbRow>();
  open = new Map<number, { xid: number; id: number }>();
  onCommit: (row: DbRow) => void = () => {};

  locked(id: number): boolean {
    for (const t of this.open.values()) if (t.id === id) return true;
    return false;
  }
  /** Autocommit write (insert or update); skipped while a long transaction holds the row. */
  write(id: number): void {
    if (this.locked(id)) return;
    this.commitRow(this.nextXid++, id);
  }
  begin(id: number): void {
    if (this.locked(id)) return;
    const xid = this.nextXid++;
    this.open.set(xid, { xid, id });
  }
  commitOldest(): void {
    const t = [...this.open.values()][0];
    if (!t) return;
    this.open.delete(t.xid);
    this.commitRow(t.xid, t.id);
  }
  commitRow(xid: number, id: number): void {
    const row: DbRow = { id, version: (this.rows.get(id)?.version ?? 0) + 1, tx_id: String(xid), org_id: ORG, status: 'new' };
    this.rows.set(id, row);
    this.onCommit(row);
  }
  xmin(): number {
    let m = this.nextXid;
    for (const xid of this.open.keys()) m = Math.min(m, xid);
    return m;
  }
  page(cursor: string | null, after: number, limit: number): ResumePage<StreamName> {
    const all = [...this.rows.values()]
      .filter((r) => (cursor === null || Number(r.tx_id) >= Number(cursor)) && r.id > after)
      .sort((a, b) => a.id - b.id);
    const rows = all.slice(0, limit).map((r) => ({ ...r })) as unknown as Array<StreamRow<StreamName>>;
    return { rows, next: rows.length ? rows[rows.length - 1]!.id : after, cursor: String(this.xmin()) as StreamCursor, done: rows.length < limit };
  }
}

class FakeClock implements Clock {
  t = 0;
  timers: Array<{ at: number; fn: () => void; h: number }> = [];
  seq = 0;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    const h = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, h });
    return h;
  }
  clearTimeout(h: unknown): void { this.timers = this.timers.filter((x) => x.h !== h); }
  fireNext(): boolean {
    this.timers.sort((a, b) => a.at - b.at || a.h - b.h);
    const next = this.timers.shift();
    if (!next) return false;
    this.t = Math.max(this.t, next.at);
    next.fn();
    return true;
  }
}

/** One simulated Realtime channel at a time. */
class FakeServer {
  handlers: ChannelHandlers | undefined;
  listening = false;
  /** Channel frames in socket order; `ready` sits in its own queue (the server may delay it). */
  frames: Array<{ row?: DbRow; run: () => void }> = [];
  system: Array<() => void> = [];
  pages: Array<() => void> = [];
  opened = 0;
  constructor(readonly db: FakeDb) {
    db.onCommit = (row) => {
      if (!this.listening || !this.handlers) return; // not listening: the change is lost
      const h = this.handlers;
      this.frames.push({ row, run: () => h.onChange('UPDATE', { ...row }) });
    };
  }
  open(handlers: ChannelHandlers): { close(): Promise<void> } {
    this.drop(false);
    this.opened++;
    this.handlers = handlers;
    this.frames.push({ run: () => {
      handlers.onStatus('SUBSCRIBED');
      // The server starts listening a little after the join reply…
      this.frames.push({ run: () => {
        this.listening = true;
        // …and says so later still.
        this.system.push(() => handlers.onSystem({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL' }));
      } });
    } });
    return { close: async () => { if (this.handlers === handlers) this.drop(false); } };
  }
  drop(notify: boolean): void {
    const h = this.handlers;
    this.handlers = undefined;
    this.listening = false;
    this.frames = [];
    this.system = [];
    if (notify && h) h.onStatus('CHANNEL_ERROR', new Error('socket closed'));
  }
  fetchPage: FetchPage = ((req: { cursor: StreamCursor | null; afterId: number; limit: number }) =>
    new Promise((resolve) => {
      // The page's snapshot is taken when the server runs it, not when it was asked.
      this.pages.push(() => resolve(this.db.page(req.cursor, req.afterId, req.limit)));
    })) as FetchPage;
}

type Cmd =
  | { k: 'write'; id: number }
  | { k: 'begin'; id: number }
  | { k: 'commit' }
  | { k: 'frame' }
  | { k: 'system' }
  | { k: 'page' }
  | { k: 'drop' }
  | { k: 'timer' };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map((id) => ({ k: 'write' as const, id })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }).map((id) => ({ k: 'begin' as const, id })) },
  { weight: 1, arbitrary: fc.constant({ k: 'commit' as const }) },
  { weight: 8, arbitrary: fc.constant({ k: 'frame' as const }) },
  { weight: 3, arbitrary: fc.constant({ k: 'system' as const }) },
  { weight: 5, arbitrary: fc.constant({ k: 'page' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'drop' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'timer' as const }) },
);

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

async function simulate(cmds: Cmd[], opts: { pageSize: number; maxBuffered: number; seed: number }): Promise<void> {
  const db = new FakeDb();
  const server = new FakeServer(db);
  const clock = new FakeClock();
  let r = opts.seed;
  const random = (): number => ((r = (r * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const delivered = new Map<number, number[]>();
  const errors: HotwatchError[] = [];
  const options: FeedOptions = {
    retry: { initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, maxAttempts: 1_000 },
    readyTimeoutMs: 5_000,
    pageSize: opts.pageSize,
    maxBufferedChanges: opts.maxBuffered,
    broadcastReadiness: 'replication-ready',
  };
  const feed = new Feed<'hotspots'>({
    spec: feedSpec('hotspots', 'postgres_changes', { orgId: ORG }),
    openChannel: (_spec, _join, handlers) => server.open(handlers),
    fetchPage: server.fetchPage,
    options,
    clock,
    random,
    listener: {
      rows: (rows) => { for (const row of rows) delivered.set(row.id, [...(delivered.get(row.id) ?? []), row.version]); },
      status: () => {},
      error: (e) => errors.push(e),
    },
  });
  // Some rows exist before the subscription.
  for (let id = 1; id <= 4; id++) db.write(id);
  feed.start();
  await flush();

  const run = async (c: Cmd): Promise<void> => {
    switch (c.k) {
      case 'write': db.write(c.id); break;
      case 'begin': db.begin(c.id); break;
      case 'commit': db.commitOldest(); break;
      case 'frame': server.frames.shift()?.run(); break;
      case 'system': server.system.shift()?.(); break;
      case 'page': server.pages.shift()?.(); break;
      case 'drop': server.drop(true); break;
      case 'timer': clock.fireNext(); break;
    }
    await flush();
    // While live, every committed row version is delivered or in flight to the client.
    if (feed.state.kind === 'live') {
      const inFlight = new Map<number, number>();
      for (const f of server.frames) if (f.row) inFlight.set(f.row.id, f.row.version);
      for (const [id, row] of db.rows) {
        const have = Math.max(feed.ledger.get(id)?.version ?? 0, inFlight.get(id) ?? 0);
        expect(have, `live but row ${id} is behind (after ${c.k})`).toBe(row.version);
      }
    }
  };
  for (const c of cmds) await run(c);

  // Quiesce: commit everything, then let the feed settle.
  while (db.open.size) await run({ k: 'commit' });
  for (let i = 0; i < 10_000; i++) {
    if (feed.state.kind === 'live' && !server.frames.length && !server.system.length && !server.pages.length) break;
    if (server.pages.length) await run({ k: 'page' });
    else if (server.frames.length) await run({ k: 'frame' });
    else if (server.system.length) await run({ k: 'system' });
    else await run({ k: 'timer' });
  }
  expect(feed.state.kind).toBe('live');

  for (const [id, row] of db.rows) {
    const vs = delivered.get(id) ?? [];
    for (let i = 1; i < vs.length; i++) expect(vs[i]!, `row ${id} versions ${vs.join(',')}`).toBeGreaterThan(vs[i - 1]!);
    expect(vs[vs.length - 1], `row ${id} ends at its database version`).toBe(row.version);
    expect(feed.ledger.get(id)?.version).toBe(row.version);
  }
  expect(new Set(delivered.keys())).toEqual(new Set(db.rows.keys()));
  await feed.close();
}

describe('feed driver against a simulated database and Realtime server', () => {
  it('ends every row at its committed version, versions increasing, none twice, under random gaps', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(cmdArb, { minLength: 10, maxLength: 250, size: 'max' }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(1, 2, 3, 1_000),
      fc.integer({ min: 1, max: 2 ** 30 }),
      async (cmds, pageSize, maxBuffered, seed) => simulate(cmds, { pageSize, maxBuffered, seed }),
    ), { numRuns: 600 });
  });

  it('a transaction open across the reconnect and committed after it arrives exactly once', async () => {
    await simulate([
      { k: 'frame' }, { k: 'frame' }, { k: 'system' }, { k: 'page' }, // live
      { k: 'begin', id: 7 }, { k: 'write', id: 1 }, { k: 'frame' },
      { k: 'drop' }, { k: 'write', id: 2 }, { k: 'timer' }, // gap; rejoin
      { k: 'frame' }, { k: 'frame' }, { k: 'system' }, { k: 'page' }, // caught up, tx 7 still open
      { k: 'commit' }, { k: 'frame' }, // committed after the reconnect: arrives live
    ], { pageSize: 2, maxBuffered: 100, seed: 1 });
  });

  it('applies live changes buffered during a catch-up', async () => {
    await simulate([
      { k: 'frame' }, { k: 'frame' }, { k: 'system' }, { k: 'page' }, // snapshot page 1 (rows 1, 2)
      { k: 'write', id: 1 }, { k: 'frame' }, // buffered
      { k: 'page' }, { k: 'page' }, { k: 'page' },
    ], { pageSize: 2, maxBuffered: 100, seed: 4 });
  });

  it('keeps the first page\'s cursor when a buffer overflow forces a second catch-up', async () => {
    await simulate([
      { k: 'frame' }, { k: 'frame' }, { k: 'system' }, { k: 'page' }, // snapshot page 1 (rows 1, 2)
      { k: 'write', id: 1 }, { k: 'write', id: 1 }, { k: 'frame' }, { k: 'frame' }, // overflow drops them
      { k: 'page' }, { k: 'page' }, { k: 'page' }, { k: 'page' },
    ], { pageSize: 2, maxBuffered: 1, seed: 3 });
  });

  it('changes between SUBSCRIBED and the server really listening are recovered', async () => {
    await simulate([
      { k: 'frame' }, // SUBSCRIBED, not listening yet
      { k: 'write', id: 5 }, { k: 'write', id: 6 }, // lost by the live feed
      { k: 'frame' }, { k: 'write', id: 5 }, { k: 'frame' }, // now listening: arrives before "ready"
      { k: 'system' }, { k: 'page' }, { k: 'page' }, { k: 'page' },
    ], { pageSize: 2, maxBuffered: 100, seed: 2 });
  });
});
