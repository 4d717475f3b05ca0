/**
 * In-database configuration (issue 18 part 3): `pgrst.*` settings of the `authenticator`
 * role, reloaded on `NOTIFY pgrst, 'reload config'` (PostgREST's Config/Database.hs), and
 * what they switch on — aggregate functions (docs "Aggregate Functions"; Plan.hs
 * hoistSpreadAggFunctions, SqlFragment.hs pgFmtApplyAggregate/groupF) and execution plans
 * (docs "Execution plan"; SqlFragment.hs explainF).
 *
 * Own stack: these settings live on the shared `authenticator` role, so toggling them on the
 * suite's stack would change what concurrently running files (which expect PGRST123 and 406
 * PGRST107 with the defaults) get.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '../../../stack/src/start.ts';
import { freeStackPorts } from '../../support/ports.ts';
import { testLogFile } from '../../support/stack-log.ts';

let root: string;
let stack: Stack;

interface Raw { status: number; headers: Headers; text: string; json: unknown }

async function rest(p: string, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(`${stack.apiUrl}/rest/v1${p}`, { headers: { apikey: stack.config.keys.anonKey, ...headers } });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

function db(key = stack.config.keys.anonKey) {
  return createClient(stack.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}

/** Set (or reset, with null) a pgrst.* setting on authenticator and reload, then wait until `ready` holds. */
async function setting(name: string, value: string | null, ready: () => Promise<boolean>): Promise<void> {
  await stack.sql.unsafe(value === null
    ? `alter role authenticator reset pgrst.${name}`
    : `alter role authenticator set pgrst.${name} = '${value}'`);
  await stack.sql.unsafe(`notify pgrst, 'reload config'`);
  const until = Date.now() + 15_000;
  while (!(await ready())) {
    if (Date.now() > until) throw new Error(`pgrst.${name} = ${value} not applied`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const AGG_OFF = { code: 'PGRST123', details: null, hint: null, message: 'Use of aggregate functions is not allowed' };
const aggregatesOn = async (): Promise<boolean> => (await rest('/agg_orders?select=count()')).status === 200;
const aggregatesOff = async (): Promise<boolean> => (await rest('/agg_orders?select=count()')).status === 400;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-rest-dbcfg-'));
  await fs.chmod(root, 0o755);
  stack = await startStack({ dataDir: path.join(root, 'pg'), ...(await freeStackPorts()), fresh: true, quiet: true, logFile: testLogFile('rest-db-config') });
  await stack.sql.unsafe(`
    create table public.agg_customers (id int primary key, name text not null);
    create table public.agg_orders (id int primary key, customer_id int not null references public.agg_customers, amount numeric not null, placed date not null);
    create table public.agg_shipments (id int primary key, order_id int not null unique references public.agg_orders, weight numeric not null);
    insert into public.agg_customers values (1, 'ada'), (2, 'bob'), (3, 'cy');
    insert into public.agg_orders values (1, 1, 10, '2024-01-01'), (2, 1, 20.5, '2024-01-02'), (3, 2, 7, '2024-01-01');
    insert into public.agg_shipments values (1, 1, 2), (2, 2, 3), (3, 3, 1);
    grant select on public.agg_customers, public.agg_orders, public.agg_shipments to anon;
    create table public.agg_details (id int primary key, data jsonb not null);
    insert into public.agg_details values (1, '{"key": "10"}'), (2, '{"key": "14"}');
    grant select on public.agg_details to anon;
    create function public.agg_orders_of(c int) returns setof public.agg_orders language sql stable as $$ select * from public.agg_orders where customer_id = c $$;
    create function public.agg_total() returns numeric language sql stable as $$ select sum(amount) from public.agg_orders $$;
    notify pgrst, 'reload schema';
  `);
  const until = Date.now() + 15_000;
  while ((await rest('/agg_shipments?select=id')).status !== 200) {
    if (Date.now() > until) throw new Error('schema cache did not see the tables');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 300_000);

afterAll(async () => {
  await stack?.sql.unsafe(`alter role authenticator reset all`).catch(() => {});
  await stack?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('pgrst.db_aggregates_enabled', () => {
  it('is off by default: every aggregate is 400 PGRST123', async () => {
    for (const sel of ['count()', 'amount.sum()', 'name,agg_orders(amount.sum())', '...agg_customers(name),amount.avg()']) {
      const r = await rest(`/${sel.startsWith('name') ? 'agg_customers' : 'agg_orders'}?select=${sel}`);
      expect(r.status, sel).toBe(400);
      expect(r.json, sel).toEqual(AGG_OFF);
    }
    const { error } = await db().from('agg_orders').select('amount.sum()');
    expect(error).toMatchObject(AGG_OFF);
  });

  it('switched on by the role setting and reload config: aggregates with implicit group by', async () => {
    await setting('db_aggregates_enabled', 'true', aggregatesOn);
    const c = db();
    expect(await c.from('agg_orders').select('amount.sum()')).toMatchObject({ status: 200, data: [{ sum: 37.5 }] });
    expect(await c.from('agg_orders').select('count()')).toMatchObject({ data: [{ count: 3 }] });
    expect(await c.from('agg_orders').select('amount.max(), amount.min()')).toMatchObject({ data: [{ max: 20.5, min: 7 }] });
    // Aliases and casts: on the column before the aggregate, on the aggregate after it.
    expect(await c.from('agg_orders').select('avg_amount:amount.avg()::int')).toMatchObject({ data: [{ avg_amount: 13 }] });
    expect(await c.from('agg_orders').select('amount::int.sum()')).toMatchObject({ data: [{ sum: 38 }] });
    expect(await c.from('agg_orders').select('total:amount.sum()::text, n:count()')).toMatchObject({ data: [{ total: '37.5', n: 3 }] });
    // A JSON path cast before the aggregate; the output keeps the aggregate's name (addAliases).
    expect(await c.from('agg_details').select('data->>key::integer.sum()')).toMatchObject({ data: [{ sum: 24 }] });
    expect(await c.from('agg_details').select('s:data->>key::integer.sum()::text')).toMatchObject({ data: [{ s: '24' }] });
    // The other selected columns become the GROUP BY; filters apply before grouping.
    const grouped = await c.from('agg_orders').select('customer_id, amount.sum(), count()').order('customer_id');
    expect(grouped.data).toEqual([{ customer_id: 1, sum: 30.5, count: 2 }, { customer_id: 2, sum: 7, count: 1 }]);
    const byDay = await c.from('agg_orders').select('placed, count()').gt('amount', 8).order('placed');
    expect(byDay.data).toEqual([{ placed: '2024-01-01', count: 1 }, { placed: '2024-01-02', count: 1 }]);
    // The raw body: PostgreSQL's json rendering, as PostgREST's.
    expect((await rest('/agg_orders?select=customer_id,amount.sum()&order=customer_id')).text)
      .toBe('[{"customer_id":1,"sum":30.5}, \n {"customer_id":2,"sum":7}]');
  });

  it('aggregates inside embeds, and over a to-one spread\'s columns', async () => {
    const c = db();
    const embedded = await c.from('agg_customers').select('name, agg_orders(amount.sum(), count())').order('id');
    expect(embedded.data).toEqual([
      { name: 'ada', agg_orders: [{ sum: 30.5, count: 2 }] },
      { name: 'bob', agg_orders: [{ sum: 7, count: 1 }] },
      { name: 'cy', agg_orders: [{ sum: null, count: 0 }] },
    ]);
    // Grouped by the spread column (groupF's spread terms).
    const spread = await c.from('agg_orders').select('amount.sum(), ...agg_customers(name)');
    expect([...(spread.data ?? [])].sort((a, b) => String(a.name).localeCompare(String(b.name))))
      .toEqual([{ sum: 30.5, name: 'ada' }, { sum: 7, name: 'bob' }]);
    // Aggregates in a to-one spread are hoisted to the parent (hoistSpreadAggFunctions): summed per customer.
    const hoisted = await c.from('agg_shipments').select('...agg_orders(customer_id, total:amount.sum(), count())');
    expect([...(hoisted.data ?? [])].sort((a, b) => Number(a.customer_id) - Number(b.customer_id)))
      .toEqual([{ customer_id: 1, total: 30.5, count: 2 }, { customer_id: 2, total: 7, count: 1 }]);
    // Nested spreads: count() at two levels, each counting its relation's rows, grouped by the spread column.
    const nested = await c.from('agg_shipments').select('...agg_orders(cust:customer_id, orders_count:count(), ...agg_customers(customers_count:count()))');
    expect([...(nested.data ?? [])].sort((a, b) => Number(a.cust) - Number(b.cust)))
      .toEqual([{ cust: 1, orders_count: 2, customers_count: 2 }, { cust: 2, orders_count: 1, customers_count: 1 }]);
    // Grouped by a JSON embed inside a spread.
    const byEmbed = await c.from('agg_shipments').select('weight.sum(), ...agg_orders(agg_customers(name))');
    expect([...(byEmbed.data ?? [])].sort((a, b) => Number(a.sum) - Number(b.sum)))
      .toEqual([{ sum: 1, agg_customers: { name: 'bob' } }, { sum: 5, agg_customers: { name: 'ada' } }]);
    const parentSum = await c.from('agg_shipments').select('weight.sum(), ...agg_orders(customer_id)');
    expect([...(parentSum.data ?? [])].sort((a, b) => Number(a.customer_id) - Number(b.customer_id)))
      .toEqual([{ sum: 5, customer_id: 1 }, { sum: 1, customer_id: 2 }]);
    // On a function's rows, and after a write (the same read plan over pgrst_source).
    const rpc = await c.rpc('agg_orders_of', { c: 1 }).select('customer_id, amount.sum(), count()');
    expect(rpc.data).toEqual([{ customer_id: 1, sum: 30.5, count: 2 }]);
    const rpcStar = await c.rpc('agg_orders_of', { c: 2 }).select('*, amount.max()');
    expect(rpcStar.data).toEqual([{ id: 3, customer_id: 2, amount: 7, placed: '2024-01-01', max: 7 }]);
    const service = db(stack.config.keys.serviceRoleKey);
    const written = await service.from('agg_orders')
      .insert([{ id: 90, customer_id: 3, amount: 1.5, placed: '2024-02-01' }, { id: 91, customer_id: 3, amount: 2, placed: '2024-02-01' }])
      .select('customer_id, amount.sum()').rollback();
    expect(written).toMatchObject({ status: 201, data: [{ customer_id: 3, sum: 3.5 }] });
    // A star next to an aggregate is expanded and grouped by every column.
    const star = await c.from('agg_customers').select('*, agg_orders(count())').eq('id', 2);
    expect(star.data).toEqual([{ id: 2, name: 'bob', agg_orders: [{ count: 1 }] }]);
  });

  it('errors stay PostgreSQL\'s: an unknown column, a bad cast, a to-many spread aggregate', async () => {
    const unknown = await rest('/agg_orders?select=nope.sum()');
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ code: '42703', message: 'column agg_orders.nope does not exist' });
    const badType = await rest('/agg_orders?select=amount.sum()::nosuchtype');
    expect(badType.json).toMatchObject({ code: '42704', message: 'type "nosuchtype" does not exist' });
    const toMany = await rest('/agg_customers?select=...agg_orders(amount.sum())');
    expect(toMany.status).toBe(400);
    expect(toMany.json).toEqual({
      code: 'PGRST127', details: 'Aggregates are not implemented for one-to-many or many-to-many spreads.', hint: null, message: 'Feature not implemented',
    });
  });

  it('reset and reloaded: off again', async () => {
    await setting('db_aggregates_enabled', null, aggregatesOff);
    expect((await rest('/agg_orders?select=amount.sum()')).json).toEqual(AGG_OFF);
    // Any text PostgREST's coerceBool reads as True switches it on: "TRUE", "1".
    await setting('db_aggregates_enabled', 'TRUE', aggregatesOn);
    await setting('db_aggregates_enabled', '0', aggregatesOff);
    await setting('db_aggregates_enabled', '1', aggregatesOn);
    await setting('db_aggregates_enabled', null, aggregatesOff);
  });
});

describe('pgrst.db_max_rows', () => {
  it('caps reads once set, and not after a reset', async () => {
    const capped = async (): Promise<boolean> => (await rest('/agg_orders?select=id')).headers.get('content-range') === '0-1/*';
    await setting('db_max_rows', '2', capped);
    const r = await db().from('agg_orders').select('id').order('id');
    expect(r.data).toEqual([{ id: 1 }, { id: 2 }]);
    await setting('db_max_rows', null, async () => !(await capped()));
    expect((await db().from('agg_orders').select('id')).data).toHaveLength(3);
  });
});

describe('pgrst.db_plan_enabled', () => {
  const PLAN_JSON = 'application/vnd.pgrst.plan+json; for="application/json"';
  const planOn = async (): Promise<boolean> => (await rest('/agg_orders', { Accept: PLAN_JSON })).status === 200;
  const planOff = async (): Promise<boolean> => (await rest('/agg_orders', { Accept: PLAN_JSON })).status === 406;

  it('is off by default: a plan media type is 406 PGRST107, named as PostgREST renders it', async () => {
    const r = await rest('/agg_orders', { Accept: PLAN_JSON });
    expect(r.status).toBe(406);
    expect(r.json).toEqual({ code: 'PGRST107', details: null, hint: null, message: `None of these media types are available: ${PLAN_JSON}` });
    // postgrest-js explain(): `application/vnd.pgrst.plan+text; for="application/json"; options=;`
    const { error, status } = await db().from('agg_orders').select('id').explain();
    expect(status).toBe(406);
    expect(error).toMatchObject({ code: 'PGRST107', message: 'None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"' });
  });

  it('switched on: EXPLAIN of the request\'s statement in JSON and text, with options', async () => {
    await setting('db_plan_enabled', 'true', planOn);
    const json = await db().from('agg_orders').select('id, amount').eq('customer_id', 1).explain({ format: 'json' });
    expect(json.status).toBe(200);
    const [plan] = json.data as unknown as Array<{ Plan: Record<string, unknown>; 'Execution Time'?: number }>;
    // The outer SELECT aggregates the rows into the body (json_agg, count) over the table scan.
    expect(plan?.Plan['Node Type']).toBe('Aggregate');
    expect(JSON.stringify(plan)).toContain('"Relation Name":"agg_orders"');
    expect(plan?.['Execution Time']).toBeUndefined();

    const analyzed = await rest('/agg_orders?select=id', { Accept: `${PLAN_JSON}; options=verbose|analyze` });
    expect(analyzed.status).toBe(200);
    // Options in PostgREST's order, whatever order they were sent in.
    expect(analyzed.headers.get('content-type')).toBe(`${PLAN_JSON}; options=analyze|verbose; charset=utf-8`);
    expect(analyzed.headers.get('content-range')).toBeNull();
    expect(analyzed.text.endsWith(']\n')).toBe(true);
    const [a] = analyzed.json as Array<{ Plan: Record<string, unknown>; 'Execution Time': number }>;
    expect(typeof a?.['Execution Time']).toBe('number');
    expect(a?.Plan['Actual Rows']).toBe(1);
    expect(Array.isArray(a?.Plan.Output)).toBe(true);

    const text = await db().from('agg_orders').select('id').explain();
    expect(text.status).toBe(200);
    expect(typeof text.data).toBe('string');
    expect(String(text.data)).toMatch(/^Aggregate {2}\(cost=/);
    expect(String(text.data)).toContain('Seq Scan on agg_orders');
    expect(String(text.data).endsWith('\n')).toBe(true);

    // for= another handler: CSV and the singular object; one the resource lacks is 406.
    expect((await rest('/agg_orders', { Accept: 'application/vnd.pgrst.plan; for="text/csv"' })).headers.get('content-type'))
      .toBe('application/vnd.pgrst.plan+text; for="text/csv"; charset=utf-8');
    expect((await rest('/agg_orders?id=eq.1', { Accept: 'application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json"' })).status).toBe(200);
    const xml = await rest('/agg_orders', { Accept: 'application/vnd.pgrst.plan+json; for="application/xml"' });
    expect(xml.status).toBe(406);
    expect(xml.json).toMatchObject({ message: 'None of these media types are available: application/vnd.pgrst.plan+json; for="application/xml"' });

    // Functions too.
    const rpc = await db().rpc('agg_total').explain({ format: 'json' });
    expect(rpc.status).toBe(200);
    expect(JSON.stringify(rpc.data)).toContain('"Node Type"');

    // Writes: analyze executes the statement, so Prefer: tx=rollback keeps the table unchanged.
    const service = db(stack.config.keys.serviceRoleKey);
    const write = await service.from('agg_orders').insert({ id: 95, customer_id: 3, amount: 1, placed: '2024-03-01' })
      .rollback().explain({ analyze: true });
    expect(write.status).toBe(200);
    expect(String(write.data)).toContain('Insert on agg_orders');
    expect(String(write.data)).toContain('actual time=');
    expect((await db().from('agg_orders').select('id').eq('id', 95)).data).toEqual([]);
  });

  it('reset and reloaded: off again', async () => {
    await setting('db_plan_enabled', null, planOff);
    expect((await rest('/agg_orders', { Accept: PLAN_JSON })).status).toBe(406);
  });
});
