/**
 * The service role's ingest streams its rows into `COPY events FROM STDIN` while it still
 * validates the batch (functions/ingest-events/store/copy-events.ts). Through real Deno
 * and the gateway (supabase-js `functions.invoke`): the rows stored byte for byte, the
 * answer's indices across slices, duplicates inside a batch and against stored rows (the
 * COPY fails with 23505 and the statement takes the batch: at its first row, while the
 * data still streams, and at its last, after the data's end), and the COPY helper's
 * answer to an error after the data's end (postgres.js alone never settles it).
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { copyIn } from '../../../functions/ingest-events/store/copy-in.ts';
import { adminSql } from '../../support/db.ts';
import { invokeFunction } from '../../support/functions.ts';
import { createTestOrg, type TestOrg } from '../../support/fixtures.ts';

const info = inject('stack');
const sql = adminSql(4);
let org: TestOrg;
let service: SupabaseClient;

const at = new Date(Date.now() - 3_600_000).toISOString();
const ev = (id: string, extra: Record<string, unknown> = {}) => ({
  source: 'copy', external_id: id, category: 'fire', occurred_at: at, lat: 40.7 + (id.length % 10) * 0.001, lng: -74.0, ...extra,
});
const batch = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ev(`${prefix}-${i}`));
const ingest = (events: unknown[]) => invokeFunction(service, 'ingest-events', { org_id: org.id, events });
const stored = async (prefix: string): Promise<number> =>
  (await sql<{ n: number }[]>`select count(*)::int as n from public.events where org_id = ${org.id} and external_id like ${`${prefix}-%`}`)[0]!.n;

beforeAll(async () => {
  org = await createTestOrg(sql, 'ingest-copy');
  service = createClient(info.apiUrl, info.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never },
  });
});
afterAll(() => sql.end());

describe('ingest-events streams the service role\'s rows into COPY (real Deno)', () => {
  it('stores text with tabs, newlines, carriage returns and backslashes exactly as sent, and fills the cube', async () => {
    const odd = ['tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', '\\.', 'quote"\'', 'ünïcödé 🔥'];
    const events = odd.map((s, i) => ({ ...ev(`odd-${i}-${s}`), source: `src ${s}`, attributes: { note: s, nested: { s, list: [s, 1] } } }));
    const r = await ingest(events);
    expect(r).toMatchObject({ status: 200, body: { received: odd.length, accepted: odd.length, duplicate: 0, rejected: 0 } });
    const rows = await sql<{ source: string; external_id: string; attributes: unknown }[]>`
      select source, external_id, attributes from public.events where org_id = ${org.id} and external_id like 'odd-%' order by external_id`;
    const expected = events.map((e) => ({ source: e.source, external_id: e.external_id, attributes: e.attributes }))
      .sort((x, y) => (x.external_id < y.external_id ? -1 : 1));
    expect(rows.map((row) => ({ ...row }))).toEqual(expected);
    const [cube] = await sql<{ n: number }[]>`select coalesce(sum(n), 0)::int as n from public.count_cube where org_id = ${org.id}`;
    expect(cube!.n).toBe(await stored('odd'));
  });

  it('reports invalid events by their index in the whole batch, across slices', async () => {
    const events: unknown[] = batch('idx', 2_500);
    events[1_700] = { ...ev('idx-1700'), lat: 123 };
    events[2_499] = 'not an event';
    const r = await ingest(events);
    expect(r).toMatchObject({ status: 200, body: { received: 2_500, accepted: 2_498, rejected: 2 } });
    expect(r.body.errors.map((e: { index: number; path: string }) => [e.index, e.path])).toEqual([[1_700, 'events[1700].lat'], [2_499, 'events[2499]']]);
    expect(await stored('idx')).toBe(2_498);
  });

  it('keeps the first of a key repeated in one batch, slices apart', async () => {
    const events = batch('rep', 1_500);
    events[1_400] = ev('rep-3', { attributes: { copy: 'second' } });
    events[3] = ev('rep-3', { attributes: { copy: 'first' } });
    const r = await ingest(events);
    expect(r.body).toMatchObject({ accepted: 1_499, duplicate: 1, rejected: 0 });
    const [row] = await sql`select attributes from public.events where org_id = ${org.id} and external_id = 'rep-3'`;
    expect(row!.attributes).toEqual({ copy: 'first' });
  });

  it('a batch whose first row is stored already: the COPY fails while streaming, the statement counts the duplicate', async () => {
    expect((await ingest([ev('head-0')])).body).toMatchObject({ accepted: 1 });
    const r = await ingest(batch('head', 3_000));
    expect(r).toMatchObject({ status: 200, body: { accepted: 2_999, duplicate: 1, rejected: 0 } });
    expect(await stored('head')).toBe(3_000);
  });

  it('a batch whose last row is stored already: the COPY fails after the data\'s end, and nothing hangs', async () => {
    expect((await ingest([ev('tail-2999')])).body).toMatchObject({ accepted: 1 });
    const r = await ingest(batch('tail', 3_000));
    expect(r).toMatchObject({ status: 200, body: { accepted: 2_999, duplicate: 1, rejected: 0 } });
    // Re-sent whole: every row a duplicate; and the function's connections still work after.
    expect((await ingest(batch('tail', 3_000))).body).toMatchObject({ accepted: 0, duplicate: 3_000 });
    expect((await ingest(batch('after', 10))).body).toMatchObject({ accepted: 10 });
    expect(await stored('tail')).toBe(3_000);
  });
});

describe('copyIn (the COPY helper)', () => {
  beforeAll(async () => {
    await sql.unsafe(`
      create table if not exists public.test_copy_tripwire (v text primary key);
      create or replace function public.test_copy_tripwire_check() returns trigger language plpgsql as $$
      begin
        if exists (select from new_rows where v = 'trip') then raise exception 'tripwire' using errcode = 'P0001'; end if;
        return null;
      end $$;
      drop trigger if exists tripwire on public.test_copy_tripwire;
      create trigger tripwire after insert on public.test_copy_tripwire referencing new table as new_rows
        for each statement execute function public.test_copy_tripwire_check();`);
  });
  afterAll(async () => { await sql.unsafe('drop table if exists public.test_copy_tripwire; drop function if exists public.test_copy_tripwire_check()'); });

  const copyRows = (rows: string[]) => sql.begin(async (tx) => {
    const copy = await copyIn(tx, 'copy public.test_copy_tripwire (v) from stdin');
    await copy.write(rows.map((r) => `${r}\n`).join(''));
    await copy.end();
  });
  const count = async () => (await sql<{ n: number }[]>`select count(*)::int as n from public.test_copy_tripwire`)[0]!.n;

  it('rejects with the server\'s error when it arrives after the data\'s end, rolls back, and leaves the pool usable', async () => {
    await copyRows(['a', 'b']);
    // The statement-level trigger raises only once the COPY's data is complete.
    await expect(copyRows(['c', 'trip'])).rejects.toMatchObject({ code: 'P0001', message: 'tripwire' });
    await expect(copyRows(['a'])).rejects.toMatchObject({ code: '23505' });
    expect(await count()).toBe(2);
    const [idle] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity where state = 'idle in transaction (aborted)' and datname = current_database()`;
    expect(idle!.n).toBe(0);
  });
});
