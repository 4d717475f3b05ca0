import { describe, expect, it } from 'vitest';
import { errorFromHttp, HotwatchError, RateLimitedError, UnauthorizedError, ValidationError } from '../../../client-sdk/src/errors.ts';
import { coalesce, EventQueue } from '../../../client-sdk/src/event-queue.ts';
import { feedSpec, serverFilter, viewPredicate } from '../../../client-sdk/src/filters.ts';
import { pageAll, parseResumePage, type FetchPage } from '../../../client-sdk/src/resume.ts';
import { toStreamRow } from '../../../client-sdk/src/rows.ts';
import type { StreamCursor, StreamEvent, StreamRow } from '../../../client-sdk/src/types.ts';

const ORG = '11111111-1111-4111-8111-111111111111';

describe('errors', () => {
  it('reads the functions, PostgREST and plain-text error shapes', () => {
    const pg = errorFromHttp(401, { code: 'PGRST301', message: 'JWT expired', details: null, hint: null });
    expect(pg).toBeInstanceOf(UnauthorizedError);
    expect(pg).toMatchObject({ code: 'PGRST301', message: 'JWT expired', status: 401, name: 'UnauthorizedError' });
    const v = errorFromHttp(422, { error: { code: 'validation_failed', message: 'no', fieldErrors: [{ path: 'a', code: 'x', message: 'y' }] } });
    expect(v).toBeInstanceOf(ValidationError);
    expect((v as ValidationError).fieldErrors).toHaveLength(1);
    const t = errorFromHttp(502, 'Bad gateway');
    expect(t).toBeInstanceOf(HotwatchError);
    expect(t).toMatchObject({ code: 'http_error', message: 'Bad gateway', status: 502 });
    const r = errorFromHttp(429, { message: 'slow down' }, new Headers({ 'retry-after': '3' }));
    expect(r).toBeInstanceOf(RateLimitedError);
    expect((r as RateLimitedError).retryAfterMs).toBe(3000);
  });
});

describe('resume pages', () => {
  it('validates the answer and normalises rows', () => {
    const p = parseResumePage({ rows: [{ id: '5', version: '2', tx_id: 77 }], next: 5, cursor: '90', done: true });
    expect(p.rows[0]).toEqual({ id: 5, version: 2, tx_id: '77' });
    expect(() => parseResumePage({ rows: [], next: 0, cursor: 'x', done: true })).toThrow(/cursor/);
    expect(() => parseResumePage({ rows: [{ id: 1 }], next: 0, cursor: '1', done: true })).toThrow(/version/);
    expect(() => parseResumePage(null)).toThrow(/object/);
  });

  it('pages by id from one cursor and keeps the first page\'s cursor', async () => {
    const calls: Array<[StreamCursor | null, number]> = [];
    const pages = [
      { rows: [{ id: 1, version: 1 }, { id: 2, version: 1 }], next: 2, cursor: '10', done: false },
      { rows: [{ id: 3, version: 1 }], next: 3, cursor: '12', done: true },
    ];
    const fetchPage = (async (req: { cursor: StreamCursor | null; afterId: number }) => {
      calls.push([req.cursor, req.afterId]);
      return pages.shift();
    }) as unknown as FetchPage;
    const seen: number[] = [];
    const r = await pageAll(fetchPage, { stream: 'alerts', cursor: '5' as StreamCursor, pageSize: 2, signal: new AbortController().signal },
      (rows) => seen.push(...rows.map((x) => x.id)), () => true);
    expect(r).toEqual({ cursor: '10', pages: 2, rows: 3 });
    expect(calls).toEqual([['5', 0], ['5', 2]]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('coerces live records', () => {
    const same = { id: 1, version: 1, tx_id: '9' };
    expect(toStreamRow(same)).toBe(same);
    expect(toStreamRow({ id: 1.5, version: 1 })).toBeUndefined();
    expect(toStreamRow('x')).toBeUndefined();
  });
});

describe('filters', () => {
  it('uses one immutable-column server filter and quotes nothing', () => {
    expect(serverFilter(feedSpec('alerts', 'postgres_changes', { orgId: ORG, category: 'fire' }))).toBe(`org_id=eq.${ORG}`);
    expect(serverFilter(feedSpec('alerts', 'postgres_changes', { category: 'fire' }))).toBe('category=eq.fire');
    expect(serverFilter(feedSpec('alerts', 'postgres_changes', { category: 'a,b' }))).toBeUndefined();
    expect(serverFilter(feedSpec('alerts', 'postgres_changes', {}))).toBeUndefined();
  });

  it('reads the lifecycle column of each stream', () => {
    const alerts = viewPredicate('alerts', { status: ['firing'] })!;
    expect(alerts({ state: 'firing' } as unknown as StreamRow<'alerts'>)).toBe(true);
    expect(alerts({ status: 'firing' } as unknown as StreamRow<'alerts'>)).toBe(false);
    expect(viewPredicate('hotspots', {})).toBeUndefined();
  });
});

describe('stream() queue', () => {
  const up = (id: number, version: number): StreamEvent<'alerts'> =>
    ({ type: 'upsert', stream: 'alerts', row: { id, version } as StreamRow<'alerts'>, source: 'live' });

  it('coalesces a slow consumer\'s backlog to each row\'s latest event', async () => {
    const q = new EventQueue<'alerts'>(3, () => {});
    for (const e of [up(1, 1), up(2, 1), up(1, 2), up(1, 3)]) q.push(e);
    expect(q.length).toBe(2);
    const a = await q.next();
    const b = await q.next();
    expect([a.value, b.value].map((e) => (e?.type === 'upsert' ? `${e.row.id}@${e.row.version}` : ''))).toEqual(['2@1', '1@3']);
    const pending = q.next();
    q.end();
    expect((await pending).done).toBe(true);
  });

  it('keeps only the last status of a run', () => {
    const s = (status: 'live' | 'reconnecting'): StreamEvent<'alerts'> => ({ type: 'status', stream: 'alerts', status });
    expect(coalesce([s('reconnecting'), up(1, 1), s('live')])).toEqual([up(1, 1), s('live')]);
  });
});
