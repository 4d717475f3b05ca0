import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { client, rest, uniqueName } from './helpers.ts';

// /rpc: overload resolution by argument names (PGRST202/203 with hints), GET vs POST
// (read-only GETs), return shapes (void, scalar, composite, SETOF, TABLE), a single
// unnamed json parameter, variadic, RAISE and response GUCs.

const sql = adminSql();
const p = uniqueName('rest_rpc');
const tbl = `${p}_t`;

beforeAll(async () => {
  await sql.unsafe(`
    create table public.${tbl} (id int primary key, name text);
    insert into public.${tbl} values (1, 'one'), (2, 'two'), (3, 'three');
    create function public.${p}_add(a int, b int default 10) returns int language sql immutable as $$ select a + b $$;
    create function public.${p}_add(a int, b int, c int) returns int language sql immutable as $$ select a + b + c $$;
    create function public.${p}_amb(x int) returns text language sql immutable as $$ select 'int' $$;
    create function public.${p}_amb(x text) returns text language sql immutable as $$ select 'text' $$;
    create function public.${p}_void() returns void language sql volatile as $$ select $$;
    create function public.${p}_write(nm text) returns int language sql volatile as $$ insert into public.${tbl} values (100 + (select count(*) from public.${tbl}), nm) returning id $$;
    create function public.${p}_json(jsonb) returns jsonb language sql immutable as $$ select $1 || '{"seen":true}' $$;
    create function public.${p}_rows(min_id int default 1) returns setof public.${tbl} language sql stable as $$ select * from public.${tbl} where id >= min_id order by id $$;
    create function public.${p}_one() returns public.${tbl} language sql stable as $$ select * from public.${tbl} where id = 1 $$;
    create function public.${p}_table(lim int) returns table (k int, v text) language sql stable as $$ select id, name from public.${tbl} order by id limit lim $$;
    create function public.${p}_arr(xs int[]) returns int language sql immutable as $$ select sum(x)::int from unnest(xs) x $$;
    create function public.${p}_var(variadic vs text[]) returns text language sql immutable as $$ select array_to_string(vs, '+') $$;
    create function public.${p}_null() returns text language sql immutable as $$ select null::text $$;
    create function public.${p}_raise() returns int language plpgsql as $$ begin raise exception 'went wrong' using detail = 'the detail', hint = 'the hint'; end $$;
    create function public.${p}_pt() returns int language plpgsql as $$ begin raise sqlstate 'PT402' using message = 'pay up'; end $$;
    create function public.${p}_pgrst() returns int language plpgsql as $$ begin
      raise sqlstate 'PGRST' using message = '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade your plan"}',
                                   detail = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}'; end $$;
    create function public.${p}_gucs() returns int language plpgsql volatile as $$ begin
      perform set_config('response.headers', '[{"X-Test":"yes"},{"Cache-Control":"no-store"}]', true);
      perform set_config('response.status', '202', true); return 1; end $$;
    create function public.${p}_secret() returns int language sql as $$ select 42 $$;
    revoke execute on function public.${p}_secret() from public, anon;`);
});
afterAll(async () => {
  const fns = await sql.unsafe(`select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname like '${p}%'`);
  for (const f of fns) await sql.unsafe(`drop function ${f.sig as string}`);
  await sql.unsafe(`drop table if exists public.${tbl}`);
  await sql.end();
});

describe('rpc', () => {
  it('resolves overloads by argument names, defaults filling the rest', async () => {
    expect((await client().rpc(`${p}_add`, { a: 1 })).data).toBe(11);
    expect((await client().rpc(`${p}_add`, { a: 1, b: 2 })).data).toBe(3);
    expect((await client().rpc(`${p}_add`, { a: 1, b: 2, c: 3 })).data).toBe(6);
    expect((await client().rpc(`${p}_add`, { a: 1, b: 2 }, { get: true })).data).toBe(3);
  });

  it('an unknown function is 404 PGRST202 with a fuzzy hint', async () => {
    const { error, status } = await client().rpc(`${p}_ad`, { a: 1 });
    expect(status).toBe(404);
    expect(error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_ad with parameter a or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_add`,
      message: `Could not find the function public.${p}_ad(a) in the schema cache`,
    });
  });

  it('wrong argument names are 404 PGRST202 hinting the closest overload', async () => {
    const { error } = await client().rpc(`${p}_add`, { x: 1, y: 2 });
    expect(error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_add with parameters x, y or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_add(a, b)`,
      message: `Could not find the function public.${p}_add(x, y) in the schema cache`,
    });
    const none = await rest(`/rpc/${p}_add`);
    expect(none.json).toMatchObject({ message: `Could not find the function public.${p}_add without parameters in the schema cache` });
  });

  it('same argument names with different types are 300 PGRST203', async () => {
    const { error, status } = await client().rpc(`${p}_amb`, { x: 1 });
    expect(status).toBe(300);
    expect(error).toEqual({
      code: 'PGRST203', details: null,
      hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved',
      message: `Could not choose the best candidate function between: public.${p}_amb(x => integer), public.${p}_amb(x => text)`,
    });
  });

  it('void is 204 without a body', async () => {
    const { data, error, status } = await client().rpc(`${p}_void`);
    expect(error).toBeNull();
    expect(status).toBe(204);
    expect(data).toBeNull();
  });

  it('scalars are JSON scalars (null included)', async () => {
    const r = await rest(`/rpc/${p}_add?a=2`);
    expect(r.text).toBe('12');
    expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await rest(`/rpc/${p}_null`)).text).toBe('null');
  });

  it('a volatile function writes by POST; by GET the read-only transaction refuses with 405', async () => {
    const ok = await client().rpc(`${p}_write`, { nm: 'posted' });
    expect(ok.error).toBeNull();
    expect(ok.status).toBe(200);
    const get = await client().rpc(`${p}_write`, { nm: 'got' }, { get: true });
    expect(get.status).toBe(405);
    expect(get.error).toMatchObject({ code: '25006', message: 'cannot execute INSERT in a read-only transaction' });
    const names = (await sql.unsafe(`select name from public.${tbl} where id >= 100`)).map((r) => r.name);
    expect(names).toEqual(['posted']);
  });

  it('SETOF results take select, filters, order, limit and count; a composite is an object; TABLE is rows', async () => {
    const rows = await client().rpc(`${p}_rows`, { min_id: 2 }, { count: 'exact' }).select('name').lt('id', 100).order('id', { ascending: false });
    expect(rows.error).toBeNull();
    expect(rows.data).toEqual([{ name: 'three' }, { name: 'two' }]);
    expect(rows.count).toBe(2);
    const one = await client().rpc(`${p}_one`);
    expect(one.data).toEqual({ id: 1, name: 'one' });
    const single = await client().rpc(`${p}_rows`, { min_id: 3 }).lt('id', 100).single();
    expect(single.data).toEqual({ id: 3, name: 'three' });
    const table = await client().rpc(`${p}_table`, { lim: 2 }, { get: true });
    expect(table.data).toEqual([{ k: 1, v: 'one' }, { k: 2, v: 'two' }]);
    const head = await client().rpc(`${p}_rows`, {}, { head: true, count: 'exact' });
    expect(head.data).toBeNull();
    expect(head.count).toBeGreaterThanOrEqual(3);
  });

  it('passes a single unnamed json parameter the whole body', async () => {
    const { data } = await client().rpc(`${p}_json`, { any: ['thing'], n: 1 });
    expect(data).toEqual({ any: ['thing'], n: 1, seen: true });
  });

  it('takes arrays by POST and as {a,b} by GET, and variadic arguments', async () => {
    expect((await client().rpc(`${p}_arr`, { xs: [1, 2, 3] })).data).toBe(6);
    expect((await client().rpc(`${p}_arr`, { xs: [4, 5] }, { get: true })).data).toBe(9);
    expect((await client().rpc(`${p}_var`, { vs: ['a', 'b', 'c'] })).data).toBe('a+b+c');
  });

  it('RAISE answers 400 P0001 with detail and hint; PTxyz sets the status', async () => {
    const { error, status } = await client().rpc(`${p}_raise`);
    expect(status).toBe(400);
    expect(error).toEqual({ code: 'P0001', details: 'the detail', hint: 'the hint', message: 'went wrong' });
    const pt = await rest(`/rpc/${p}_pt`);
    expect(pt.status).toBe(402);
    expect(pt.json).toMatchObject({ code: 'PT402', message: 'pay up' });
  });

  it("RAISE SQLSTATE 'PGRST' controls status, headers and body", async () => {
    const r = await rest(`/rpc/${p}_pgrst`);
    expect(r.status).toBe(402);
    expect(r.headers.get('x-powered-by')).toBe('Nerd Rage');
    expect(r.json).toEqual({ code: '123', details: 'Quota exceeded', hint: 'Upgrade your plan', message: 'Payment Required' });
  });

  it('response.headers and response.status GUCs override the response', async () => {
    const r = await rest(`/rpc/${p}_gucs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(202);
    expect(r.headers.get('x-test')).toBe('yes');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('without EXECUTE the call is refused: 401 for anon', async () => {
    const { status, error } = await client().rpc(`${p}_secret`);
    expect(status).toBe(401);
    expect(error).toMatchObject({ code: '42501', message: `permission denied for function ${p}_secret` });
  });

  it('OPTIONS advertises POST only for a volatile function', async () => {
    const v = await rest(`/rpc/${p}_void`, { method: 'OPTIONS' });
    expect(v.headers.get('allow')).toBe('OPTIONS,POST');
    const s = await rest(`/rpc/${p}_rows`, { method: 'OPTIONS' });
    expect(s.headers.get('allow')).toBe('OPTIONS,GET,HEAD,POST');
  });

  it('other methods on /rpc are 405 PGRST101', async () => {
    const r = await rest(`/rpc/${p}_void`, { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ code: 'PGRST101', details: null, hint: null, message: 'Cannot use the DELETE method on RPC' });
  });
});
