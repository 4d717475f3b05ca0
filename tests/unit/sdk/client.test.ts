import { describe, expect, it, vi } from 'vitest';
import {
  ConflictError, createHotwatch, ForbiddenError, HotwatchError, NotFoundError, UnauthorizedError, ValidationError,
  type StreamEvent, type StreamName,
} from '../../../client-sdk/src/index.ts';
import { createStreamStore } from '../../../client-sdk/src/stream-store.ts';
import { FakeSupabase, httpError, tick } from './fake-supabase.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const row = (id: number, version: number, extra: Record<string, unknown> = {}) => ({
  id, version, tx_id: String(100 + version), org_id: ORG, category: 'fire', status: 'new', severity: 'high', ...extra,
});
const page = (rows: unknown[], cursor = '200') => ({ data: { rows, next: 0, cursor, done: true }, error: null, status: 200 });
const FAST = { retry: { initialDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 } };

function collect<S extends StreamName>() {
  const events: Array<StreamEvent<S>> = [];
  return {
    events,
    handler: (e: StreamEvent<S>) => { events.push(e); },
    rows: () => events.filter((e) => e.type === 'upsert').map((e) => (e.type === 'upsert' ? [e.row.id, e.row.version, e.source] : [])),
    statuses: () => events.filter((e) => e.type === 'status').map((e) => (e.type === 'status' ? e.status : '')),
  };
}

/** Subscribe, let the join succeed and the server confirm, answer the snapshot. */
async function live(fake: FakeSupabase): Promise<void> {
  await tick();
  fake.last.status('SUBSCRIBED');
  fake.last.ready();
  await tick();
}

describe('createHotwatch: snapshot then live', () => {
  it('buffers from SUBSCRIBED, waits for the server, loads the snapshot, then applies the buffer', async () => {
    const fake = new FakeSupabase();
    let answer: (v: unknown) => void = () => {};
    fake.resume = () => new Promise((r) => { answer = r as (v: unknown) => void; });
    const hw = createHotwatch(fake.asClient());
    const c = collect<'hotspots'>();
    hw.subscribe('hotspots', c.handler, { orgId: ORG });
    await tick();
    const ch = fake.last;
    expect(ch.bindings[0]).toMatchObject({ type: 'postgres_changes', filter: { event: '*', schema: 'public', table: 'hotspots', filter: `org_id=eq.${ORG}` } });
    ch.status('SUBSCRIBED');
    ch.change('UPDATE', row(1, 2)); // buffered before the server is listening
    expect(fake.rpcCalls).toHaveLength(0);
    ch.ready();
    await tick();
    expect(fake.rpcCalls[0]!.args).toMatchObject({ p_stream: 'hotspots', p_cursor: null, p_after_id: 0, p_limit: 1000 });
    ch.change('UPDATE', row(1, 3));
    ch.change('INSERT', row(2, 1));
    ch.change('DELETE', row(2, 1)); // ignored
    answer(page([row(1, 1), row(3, 4)]));
    await tick();
    expect(c.rows()).toEqual([[1, 1, 'snapshot'], [3, 4, 'snapshot'], [1, 3, 'live'], [2, 1, 'live']]);
    expect(hw.status).toBe('live');
    ch.change('UPDATE', row(2, 1)); // duplicate
    ch.change('UPDATE', row(2, 2));
    expect(c.rows().slice(4)).toEqual([[2, 2, 'live']]);
    expect(c.statuses()).toEqual(['connecting', 'catching-up', 'live']);
    await hw.close();
  });

  it('catches up from the first page\'s cursor after a reconnect and de-duplicates', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1)], '500');
    const hw = createHotwatch(fake.asClient(), FAST);
    const errors: HotwatchError[] = [];
    const c = collect<'alerts'>();
    hw.subscribe('alerts', c.handler, { onError: (e) => errors.push(e) });
    await live(fake);
    const first = fake.last;
    first.status('CHANNEL_ERROR', new Error('socket closed: 1006'));
    expect(hw.status).toBe('reconnecting');
    expect(errors[0]).toBeInstanceOf(HotwatchError);
    expect(errors[0]!.code).toBe('channel_error');
    await tick(20);
    expect(first.removed).toBe(true);
    fake.resume = () => page([row(1, 1), row(1, 2)], '600');
    await live(fake);
    expect(fake.rpcCalls[1]!.args.p_cursor).toBe('500');
    expect(c.rows()).toEqual([[1, 1, 'snapshot'], [1, 2, 'catch-up']]);
    expect(hw.status).toBe('live');
    await hw.close();
  });

  it('gives up after the bounded retries, reports it, and reconnect() starts over', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient(), FAST);
    const errors: string[] = [];
    hw.onError((e) => errors.push(e.code));
    hw.subscribe('alerts', () => {});
    await tick();
    for (let i = 0; i < 4; i++) {
      fake.last.status('TIMED_OUT');
      await tick(20);
    }
    expect(hw.status).toBe('offline');
    expect(errors).toEqual(['channel_timeout', 'channel_timeout', 'channel_timeout', 'channel_timeout', 'retries_exhausted']);
    expect(fake.getChannels()).toHaveLength(0);
    fake.realtime.connected = false;
    hw.reconnect();
    await tick();
    expect(fake.realtime.connects).toBe(1);
    await live(fake);
    expect(hw.status).toBe('live');
    await hw.close();
  });

  it('a failed catch-up (REST error) is surfaced and retried', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => ({ data: null, error: { message: 'JWT expired', code: 'PGRST303' }, status: 401 });
    const hw = createHotwatch(fake.asClient(), FAST);
    const errors: HotwatchError[] = [];
    hw.subscribe('hotspots', () => {}, { onError: (e) => errors.push(e) });
    await live(fake);
    expect(errors[0]).toBeInstanceOf(UnauthorizedError);
    expect(hw.status).toBe('reconnecting');
    fake.resume = () => page([]);
    await tick(20);
    await live(fake);
    expect(hw.status).toBe('live');
    await hw.close();
  });
});

describe('createHotwatch: filters and views', () => {
  it('applies status/severity after merging and says removed when a row leaves the filter', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1, { state: 'firing' }), row(2, 1, { state: 'pending' })]);
    const hw = createHotwatch(fake.asClient());
    const c = collect<'alerts'>();
    hw.subscribe('alerts', c.handler, { orgId: ORG, status: ['pending', 'firing'], severity: ['high', 'critical'] });
    await live(fake);
    fake.last.change('UPDATE', row(1, 2, { state: 'acknowledged' }));
    fake.last.change('UPDATE', row(2, 2, { state: 'pending', severity: 'low' }));
    fake.last.change('UPDATE', row(2, 3, { state: 'firing', severity: 'critical' }));
    fake.last.change('UPDATE', row(9, 1, { state: 'resolved' })); // never matched: nothing
    const summary = c.events.filter((e) => e.type !== 'status').map((e) => (e.type === 'removed' ? `-${e.id}@${e.row.version}` : e.type === 'upsert' ? `+${e.row.id}@${e.row.version}` : ''));
    expect(summary).toEqual(['+1@1', '+2@1', '-1@2', '-2@2', '+2@3']);
    await hw.close();
  });

  it('filters other orgs and categories out even if the server sends them', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1), row(2, 1, { org_id: '22222222-2222-4222-8222-222222222222' }), row(3, 1, { category: 'flood' })]);
    const hw = createHotwatch(fake.asClient());
    const c = collect<'hotspots'>();
    hw.subscribe('hotspots', c.handler, { orgId: ORG, category: 'fire' });
    await live(fake);
    expect(c.rows().map((r) => r[0])).toEqual([1]);
    await hw.close();
  });

  it('shares one channel between subscribers of the same feed and replays what it holds', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1, { status: 'new' }), row(2, 1, { status: 'resolved' })]);
    const hw = createHotwatch(fake.asClient());
    const a = collect<'hotspots'>();
    const unsubA = hw.subscribe('hotspots', a.handler, { orgId: ORG });
    await live(fake);
    const b = collect<'hotspots'>();
    const unsubB = hw.subscribe('hotspots', b.handler, { orgId: ORG, status: ['new'] });
    await tick();
    expect(fake.allChannels).toHaveLength(1);
    expect(b.rows()).toEqual([[1, 1, 'snapshot']]);
    expect(b.statuses()).toEqual(['live']);
    await unsubA();
    expect(fake.getChannels()).toHaveLength(1);
    fake.last.change('UPDATE', row(1, 2));
    expect(b.rows()).toHaveLength(2);
    expect(a.rows()).toHaveLength(2); // unsubscribed: no more
    await unsubB();
    expect(fake.getChannels()).toHaveLength(0);
    expect(hw.status).toBe('offline');
    await hw.close();
  });

  it('refuses impossible filters up front', () => {
    const hw = createHotwatch(new FakeSupabase().asClient(), { transport: 'broadcast' });
    expect(() => hw.subscribe('alerts', () => {})).toThrow(/orgId/);
    expect(() => hw.subscribe('alerts', () => {}, { orgId: 'nope' })).toThrow(/UUID/);
    expect(() => hw.subscribe('recommendations', () => {}, { orgId: ORG, severity: ['high'] as never })).toThrow(/severity/);
    expect(() => hw.subscribe('recommendations', () => {}, { orgId: ORG, category: 'fire' })).toThrow(/category/);
    expect(() => hw.subscribe('events' as never, () => {})).toThrow(/Unknown stream/);
  });

  it('reports a throwing handler and keeps delivering', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient());
    const errors: HotwatchError[] = [];
    let n = 0;
    hw.subscribe('hotspots', (e) => { if (e.type === 'upsert' && ++n === 1) throw new Error('bad handler'); }, { onError: (e) => errors.push(e) });
    await live(fake);
    fake.last.change('INSERT', row(1, 1));
    fake.last.change('INSERT', row(2, 1));
    expect(n).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['handler_error']);
    await hw.close();
  });
});

describe('createHotwatch: broadcast transport', () => {
  it('joins the private org topic, waits for replication ready, reads Broadcast from Database payloads', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient(), { transport: 'broadcast' });
    const c = collect<'recommendations'>();
    hw.subscribe('recommendations', c.handler, { orgId: ORG });
    await tick();
    const ch = fake.last;
    expect(ch.topic).toBe(`realtime:org:${ORG}:recommendations`);
    expect(ch.opts).toMatchObject({ config: { private: true, broadcast: { replication_ready: true } } });
    ch.status('SUBSCRIBED');
    ch.ready(); // a postgres_changes message is not the broadcast readiness signal
    await tick();
    expect(fake.rpcCalls).toHaveLength(0);
    ch.system({ extension: 'system', status: 'ok', message: 'Replication connection established' });
    await tick();
    expect(fake.rpcCalls).toHaveLength(1);
    ch.broadcast('INSERT', row(5, 1));
    ch.broadcast('UPDATE', row(5, 2));
    expect(c.rows()).toEqual([[5, 1, 'live'], [5, 2, 'live']]);
    await hw.close();
    expect(fake.getChannels()).toHaveLength(0);
  });
});

describe('createHotwatch: auth', () => {
  it('setAuth reaches Realtime and the SDK\'s REST calls, then reconciles', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient(), { tokenReconcileDelayMs: 1 });
    hw.subscribe('hotspots', () => {});
    await live(fake);
    await hw.setAuth('aaa.bbb.ccc');
    expect(fake.setAuthCalls).toEqual(['aaa.bbb.ccc']);
    await tick(10);
    expect(fake.rpcCalls).toHaveLength(2);
    expect(fake.rpcCalls[1]!.headers['Authorization']).toBe('Bearer aaa.bbb.ccc');
    await hw.close();
  });

  it('asks the accessToken provider before every join', async () => {
    const fake = new FakeSupabase();
    let n = 0;
    const hw = createHotwatch(fake.asClient(), { ...FAST, accessToken: () => `t${++n}.x.y` });
    hw.subscribe('hotspots', () => {}, { onError: () => {} });
    await live(fake);
    fake.last.status('CLOSED');
    await tick(20);
    expect(fake.setAuthCalls).toEqual(['t1.x.y', 't2.x.y']);
    await hw.close();
  });

  it('a session token refresh by supabase-js triggers a catch-up', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient(), { tokenReconcileDelayMs: 1 });
    hw.subscribe('hotspots', () => {});
    await live(fake);
    for (const cb of fake.authCallbacks) cb('TOKEN_REFRESHED', {});
    await tick(10);
    expect(fake.rpcCalls).toHaveLength(2);
    await hw.close();
    expect(fake.authCallbacks).toHaveLength(0);
  });
});

describe('createHotwatch: helpers and named errors', () => {
  it('sends the documented bodies', async () => {
    const fake = new FakeSupabase();
    const calls: Array<[string, unknown]> = [];
    fake.invoke = async (name, body) => { calls.push([name, body]); return { data: { ok: true }, error: null }; };
    const hw = createHotwatch(fake.asClient());
    await hw.approve(1, 'go');
    await hw.reject(2, 'no');
    await hw.acknowledgeAlert(3);
    await hw.resolveAlert(4);
    await hw.triggerScan(ORG);
    await hw.ingest(ORG, [{ source: 's', external_id: 'e', category: 'fire', occurred_at: '2026-01-01T00:00:00Z', lat: 1, lng: 2 }]);
    expect(calls.map(([n, b]) => [n, (b as { action?: string }).action ?? Object.keys(b as object).join(',')])).toEqual([
      ['decisions', 'approve'], ['decisions', 'reject'], ['decisions', 'acknowledge'], ['decisions', 'resolve'],
      ['hotspot-scan', 'org_id'], ['ingest-events', 'org_id,events'],
    ]);
  });

  it('maps statuses to named errors with their details', async () => {
    const fake = new FakeSupabase();
    const hw = createHotwatch(fake.asClient());
    const cases: Array<[number, unknown, new (...a: never[]) => HotwatchError]> = [
      [401, { error: { code: 'auth_required', message: 'Sign in.' } }, UnauthorizedError],
      [403, { error: { code: 'forbidden', message: 'Operators only.' } }, ForbiddenError],
      [404, { error: { code: 'recommendation_not_found', message: 'No such recommendation.' } }, NotFoundError],
      [409, { error: { code: 'conflict', message: 'Already approved.', current: { id: 1, status: 'approved' } } }, ConflictError],
      [400, { error: { code: 'validation_failed', message: 'Invalid.', errors: [{ path: 'reason', code: 'too_small', message: 'Required.' }] } }, ValidationError],
    ];
    for (const [status, body, cls] of cases) {
      fake.invoke = async () => httpError(status, body);
      const err = await hw.approve(1).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect(err).toBeInstanceOf(HotwatchError);
      const e = err as HotwatchError;
      expect(e.status).toBe(status);
      expect(e.code).toBe((body as { error: { code: string } }).error.code);
      expect(e.message).toBe((body as { error: { message: string } }).error.message);
      if (e instanceof ConflictError) expect(e.current).toEqual({ id: 1, status: 'approved' });
      if (e instanceof ValidationError) expect(e.fieldErrors).toEqual([{ path: 'reason', code: 'too_small', message: 'Required.' }]);
    }
  });
});

describe('stream() and the store', () => {
  it('iterates events and unsubscribes on break', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1), row(2, 1)]);
    const hw = createHotwatch(fake.asClient());
    const it = hw.stream('hotspots', { orgId: ORG });
    await live(fake);
    const seen: string[] = [];
    for await (const e of it) {
      seen.push(e.type === 'upsert' ? `${e.row.id}@${e.row.version}` : e.type);
      if (seen.length === 4) break;
    }
    expect(seen).toEqual(['status', 'status', '1@1', '2@1']);
    await tick();
    expect(fake.getChannels()).toHaveLength(0);
    await hw.close();
  });

  it('keeps a batched, immutable snapshot of rows and status', async () => {
    const fake = new FakeSupabase();
    fake.resume = () => page([row(1, 1), row(2, 1)]);
    const hw = createHotwatch(fake.asClient());
    const store = createStreamStore(hw, 'hotspots', { status: ['new'] });
    const listener = vi.fn();
    const stop = store.subscribe(listener);
    await live(fake);
    await tick();
    const snap = store.getSnapshot();
    expect(snap.rows.map((r) => r.id)).toEqual([2, 1]);
    expect(snap.status).toBe('live');
    fake.last.change('UPDATE', row(2, 2, { status: 'resolved' }));
    await tick();
    expect(store.getSnapshot().rows.map((r) => r.id)).toEqual([1]);
    expect(store.getSnapshot()).not.toBe(snap);
    stop();
    await tick();
    expect(fake.getChannels()).toHaveLength(0);
    await hw.close();
  });
});
