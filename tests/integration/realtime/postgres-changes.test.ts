import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { as, closeClients, collector, type Change, rtClient, SCRATCH_SCHEMA, scratchTable, sleep, subscribed, VSNS, waitFor } from './helpers.ts';


const info = inject('stack');
const sql = adminSql();
let items: string;

beforeAll(async () => {
  items = await scratchTable(sql, 'items', `
    id bigint generated always as identity primary key,
    name text, qty int, price numeric(10,2), ok bool, meta jsonb, tags text[], at timestamptz default '2026-01-02 03:04:05.678+00',
    big int8`);
});
afterAll(async () => {
  await closeClients();
  await sql.end();
});

describe.each(VSNS)('postgres_changes over vsn %s', (vsn) => {
  it('delivers INSERT, UPDATE and DELETE with the payload realtime-js builds from the real server\'s shape', async () => {
    const c = rtClient(info.apiUrl, info.anonKey, { vsn });
    const got = collector<Change>();
    await subscribed(c.channel(`pc-crud-${vsn}`).on('postgres_changes', { event: '*', schema: SCRATCH_SCHEMA, table: items }, as(got.push)));
    const [row] = await sql<{ id: string }[]>`
      insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name, qty, price, ok, meta, tags, big)
      values ('widget', 3, 12.50, true, '{"a":{"b":[1,2]}}', '{x,"y z"}', 9007199254740993) returning id`;
    const id = Number(row!.id);
    await sql`update ${sql(SCRATCH_SCHEMA)}.${sql(items)} set qty = 4 where id = ${id}`;
    await sql`delete from ${sql(SCRATCH_SCHEMA)}.${sql(items)} where id = ${id}`;
    const [ins, upd, del] = await got.wait(3);

    const columns = [
      { name: 'id', type: 'int8' }, { name: 'name', type: 'text' }, { name: 'qty', type: 'int4' },
      { name: 'price', type: 'numeric' }, { name: 'ok', type: 'bool' }, { name: 'meta', type: 'jsonb' },
      { name: 'tags', type: '_text' }, { name: 'at', type: 'timestamptz' }, { name: 'big', type: 'int8' },
    ];
    const record = {
      id, name: 'widget', qty: 3, price: 12.5, ok: true, meta: { a: { b: [1, 2] } }, tags: ['x', 'y z'],
      at: '2026-01-02T03:04:05.678+00:00', big: 9007199254740992,
    };
    expect(ins).toEqual({
      schema: SCRATCH_SCHEMA, table: items, commit_timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      eventType: 'INSERT', new: record, old: {}, errors: null,
    });
    expect(upd).toMatchObject({ eventType: 'UPDATE', new: { ...record, qty: 4 }, old: { id }, errors: null });
    expect(del).toMatchObject({ eventType: 'DELETE', new: {}, old: { id }, errors: null });
    expect(Date.parse(ins!.commit_timestamp)).toBeGreaterThan(Date.now() - 60_000);
    // Columns reach the client only through the conversion; check them on one event type.
    expect(Object.keys(ins!.new)).toEqual(columns.map((c) => c.name));
  });

  it('applies every filter operator server-side', async () => {
    const c = rtClient(info.apiUrl, info.anonKey, { vsn });
    const filters: Record<string, string> = {
      eq: 'qty=eq.5', neq: 'qty=neq.5', lt: 'qty=lt.5', lte: 'qty=lte.5', gt: 'qty=gt.5', gte: 'qty=gte.5',
      in: 'name=in.(alpha,"b,c",gamma)', like: 'name=like.al%', ilike: 'name=ilike.AL%', is: 'ok=is.null',
      isdistinct: 'ok=isdistinct.true', not: 'qty=not.eq.5', and: 'qty=gte.4,qty=lte.6', numeric: 'price=gt.10.5',
      ts: `at=gt.2026-01-02T03:04:05Z`, json: 'meta->>kind=eq.red',
    };
    const seen: Record<string, string[]> = {};
    let ch = c.channel(`pc-filters-${vsn}`);
    for (const [op, filter] of Object.entries(filters)) {
      seen[op] = [];
      ch = ch.on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: items, filter }, as((p) => seen[op]!.push(String(p.new.name))));
    }
    await subscribed(ch);
    const rows: Array<[string, number, number, boolean | null, Record<string, string>]> = [
      ['alpha', 4, 10.5, true, { kind: 'red' }], ['b,c', 5, 11, null, { kind: 'blue' }], ['gamma', 6, 9, false, {}], ['delta', 5, 20, true, { kind: 'red' }],
    ];
    for (const [name, qty, price, ok, meta] of rows) {
      await sql`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name, qty, price, ok, meta) values (${name}, ${qty}, ${price}, ${ok}, ${sql.json(meta)})`;
    }
    await sql`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name, qty, at) values ('late', 1, '2026-01-02 03:04:06+00')`;
    await waitFor(() => seen.eq!.length === 2 && seen.ts!.length === 5, 10_000, 'filtered deliveries');
    await sleep(300);
    expect(seen).toEqual({
      eq: ['b,c', 'delta'], neq: ['alpha', 'gamma', 'late'], lt: ['alpha', 'late'], lte: ['alpha', 'b,c', 'delta', 'late'],
      gt: ['gamma'], gte: ['b,c', 'gamma', 'delta'], in: ['alpha', 'b,c', 'gamma'], like: ['alpha'], ilike: ['alpha'],
      is: ['b,c', 'late'], isdistinct: ['b,c', 'gamma', 'late'], not: ['alpha', 'gamma', 'late'], and: ['alpha', 'b,c', 'gamma', 'delta'],
      numeric: ['b,c', 'delta'], ts: ['alpha', 'b,c', 'gamma', 'delta', 'late'], json: ['alpha', 'delta'],
    });
  });

  it('several bindings on one channel: each callback gets exactly its events', async () => {
    const c = rtClient(info.apiUrl, info.anonKey, { vsn });
    const all = collector<Change>(), inserts = collector<Change>(), updates = collector<Change>(), filtered = collector<Change>(), deletes = collector<Change>();
    await subscribed(c.channel(`pc-multi-${vsn}`)
      .on('postgres_changes', { event: '*', schema: SCRATCH_SCHEMA, table: items }, as(all.push))
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: items }, as(inserts.push))
      .on('postgres_changes', { event: 'UPDATE', schema: SCRATCH_SCHEMA, table: items }, as(updates.push))
      .on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: items, filter: 'name=eq.multi-b' }, as(filtered.push))
      .on('postgres_changes', { event: 'DELETE', schema: SCRATCH_SCHEMA, table: items }, as(deletes.push)));
    const [a] = await sql<{ id: string }[]>`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name) values ('multi-a') returning id`;
    await sql`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name) values ('multi-b')`;
    await sql`update ${sql(SCRATCH_SCHEMA)}.${sql(items)} set qty = 1 where id = ${a!.id}`;
    await sql`delete from ${sql(SCRATCH_SCHEMA)}.${sql(items)} where id = ${a!.id}`;
    await all.wait(4);
    await sleep(300);
    expect(all.items.map((p) => p.eventType)).toEqual(['INSERT', 'INSERT', 'UPDATE', 'DELETE']);
    expect(inserts.items.map((p) => p.new.name)).toEqual(['multi-a', 'multi-b']);
    expect(updates.items.map((p) => p.new.name)).toEqual(['multi-a']);
    expect(filtered.items.map((p) => p.new.name)).toEqual(['multi-b']);
    expect(deletes.items.map((p) => p.old.id)).toEqual([Number(a!.id)]);
  });

  it('loses nothing committed from inside the SUBSCRIBED callback (1,000 inserts)', async () => {
    const c = rtClient(info.apiUrl, info.anonKey, { vsn });
    const got = collector<Change>();
    const marker = `burst-${vsn}`;
    let writes: Promise<unknown> | undefined;
    const ch = c.channel(`pc-burst-${vsn}`).on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: items, filter: `name=eq.${marker}` }, got.push);
    await new Promise<void>((resolve) => ch.subscribe((status) => {
      if (status !== 'SUBSCRIBED' || writes) return;
      writes = (async () => {
        for (let i = 0; i < 1000; i++) await sql`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name, qty) values (${marker}, ${i})`;
      })();
      resolve();
    }));
    await writes;
    await got.wait(1000, 30_000);
    expect(got.items.map((p) => p.new.qty)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe('postgres_changes subscription errors', () => {
  it('a table outside the publication: SUBSCRIBED, then a system error like Supabase\'s', async () => {
    const c = rtClient(info.apiUrl, info.anonKey);
    const system: Array<Record<string, unknown>> = [];
    await subscribed(c.channel('pc-nopub').on('postgres_changes', { event: '*', schema: 'public', table: 'orgs' }, () => {})
      .on('system', {}, (p: Record<string, unknown>) => system.push(p)));
    await waitFor(() => system.length > 0);
    expect(system[0]).toMatchObject({ extension: 'postgres_changes', status: 'error', channel: 'pc-nopub' });
    expect(String(system[0]!.message)).toMatch(/^Unable to subscribe to changes with given parameters\. Please check Realtime is enabled for the given connect parameters: \[event: \*, schema: public, table: orgs/);
  });

  it('an unknown filter operator is reported the way Realtime reports it', async () => {
    const c = rtClient(info.apiUrl, info.anonKey);
    const system: Array<Record<string, unknown>> = [];
    await subscribed(c.channel('pc-badfilter').on('postgres_changes', { event: '*', schema: SCRATCH_SCHEMA, table: items, filter: 'qty=foo.1' }, () => {})
      .on('system', {}, (p: Record<string, unknown>) => system.push(p)));
    await waitFor(() => system.length > 0);
    expect(system[0]).toMatchObject({ extension: 'postgres_changes', status: 'error', message: 'Error parsing `filter` params: ["foo","1"]' });
  });

  it('`select` limits columns to the chosen ones plus the primary key', async () => {
    const c = rtClient(info.apiUrl, info.anonKey);
    const got = collector<Change>();
    await subscribed(c.channel('pc-select').on('postgres_changes', { event: 'INSERT', schema: SCRATCH_SCHEMA, table: items, filter: 'name=eq.sel', select: ['qty'] } as never, as(got.push)));
    await sql`insert into ${sql(SCRATCH_SCHEMA)}.${sql(items)} (name, qty) values ('sel', 9)`;
    const [p] = await got.wait(1);
    expect(Object.keys(p!.new).sort()).toEqual(['id', 'qty']);
  });
});
