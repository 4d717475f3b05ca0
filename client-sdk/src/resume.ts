/**
 * The foundation's resume function, `public.stream_resume(p_stream, p_cursor, p_after_id,
 * p_limit) → {rows, next, cursor, done}`, called through PostgREST so RLS applies.
 * A catch-up pages it by id from one cursor until done and keeps the FIRST page's
 * cursor: later pages come from later snapshots, and a transaction that was still
 * open at the first one must be looked at again next time.
 */
import { HotwatchError, SDK_ERROR_CODES } from './errors.ts';
import { toStreamRow } from './rows.ts';
import type { StreamCursor, StreamName, StreamRow } from './types.ts';

export interface ResumePage<S extends StreamName = StreamName> {
  rows: Array<StreamRow<S>>;
  next: number;
  cursor: StreamCursor;
  done: boolean;
}

/** Fetch one page; implemented over supabase-js rpc (supabase-adapter.ts) or a fake. */
export type FetchPage = <S extends StreamName>(req: {
  stream: S;
  cursor: StreamCursor | null;
  afterId: number;
  limit: number;
  signal: AbortSignal;
}) => Promise<ResumePage<S>>;

const XID8 = /^\d{1,20}$/;

/** Validate the function's JSON answer. */
export function parseResumePage<S extends StreamName>(data: unknown): ResumePage<S> {
  const bad = (why: string): HotwatchError =>
    new HotwatchError(`stream_resume returned an unexpected answer: ${why}.`, { code: SDK_ERROR_CODES.invalidResponse, details: { data } });
  if (!data || typeof data !== 'object') throw bad('not an object');
  const d = data as Record<string, unknown>;
  if (!Array.isArray(d['rows'])) throw bad('rows is not an array');
  const cursor = String(d['cursor'] ?? '');
  if (!XID8.test(cursor)) throw bad('cursor is not a transaction id');
  const next = Number(d['next']);
  if (!Number.isSafeInteger(next)) throw bad('next is not an integer');
  if (typeof d['done'] !== 'boolean') throw bad('done is not a boolean');
  const rows: Array<StreamRow<S>> = [];
  for (const raw of d['rows']) {
    const row = toStreamRow<S>(raw);
    if (!row) throw bad('a row has no integer id/version');
    rows.push(row);
  }
  return { rows, next, cursor: cursor as StreamCursor, done: d['done'] };
}

/**
 * Page a stream from `cursor` (null = snapshot of everything visible) until done.
 * `onPage` sees each page's rows; `isCurrent` stops paging early when the catch-up
 * has been superseded. Resolves to the first page's cursor.
 */
export async function pageAll<S extends StreamName>(
  fetchPage: FetchPage,
  req: { stream: S; cursor: StreamCursor | null; pageSize: number; signal: AbortSignal },
  onPage: (rows: Array<StreamRow<S>>) => void,
  isCurrent: () => boolean,
): Promise<{ cursor: StreamCursor; pages: number; rows: number } | undefined> {
  let afterId = 0;
  let first: StreamCursor | undefined;
  let pages = 0;
  let rows = 0;
  for (;;) {
    const page = await fetchPage({ stream: req.stream, cursor: req.cursor, afterId, limit: req.pageSize, signal: req.signal });
    if (!isCurrent()) return undefined;
    first ??= page.cursor;
    pages++;
    rows += page.rows.length;
    onPage(page.rows);
    if (page.done) return { cursor: first, pages, rows };
    if (page.next <= afterId) throw new HotwatchError('stream_resume did not advance its page position.', { code: SDK_ERROR_CODES.invalidResponse });
    afterId = page.next;
  }
}
