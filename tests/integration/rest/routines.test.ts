import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { client, rest, uniqueName } from './helpers.ts';

// Which functions PostgREST v14 exposes and how it picks an overload, asserted against
// its source: SchemaCache.hs funcsSqlQuery (unnamed parameters: callable only as exactly
// one bytea/json/jsonb/text/xml parameter; trigger functions left out), Plan.hs findProc
// and callPlan (named matches first, else a one-parameter function taking the whole body
// by Content-Type), SchemaCache/Routine.hs `Ord Routine` (candidate order: fewer
// parameters first, then by parameter name and type) and Error.hs (PGRST202/PGRST203
// messages, details and fuzzy hints; no hint for raw text/xml/bytea bodies).

const sql = adminSql();
const p = uniqueName('rfx');
const trg = uniqueName('zq_trg');
const HINT_203 = 'Try renaming the parameters or the function itself in the database so function overloading can be resolved';

beforeAll(async () => {
  await sql.unsafe(`
    create function public.${p}_pair(int, int) returns int language sql immutable as $$ select $1 + $2 $$;
    create function public.${p}_pairs(a int, b int) returns int language sql immutable as $$ select a + b $$;
    create function public.${p}_lone_int(int) returns int language sql immutable as $$ select $1 $$;
    create function public.${p}_lone_txt(text) returns text language sql immutable as $$ select 'got:' || $1 $$;
    create function public.${p}_whole_json(json) returns json language sql immutable as $$ select $1 $$;
    create function public.${p}_whole_xml(xml) returns text language sql immutable as $$ select $1::text $$;
    create function public.${p}_whole_bytes(bytea) returns int language sql immutable as $$ select length($1) $$;
    create function public.${p}_doc(doc jsonb) returns jsonb language sql immutable as $$ select doc $$;
    -- created in the reverse of PostgREST's order, so its sort (not pg_proc's) decides the list
    create function public.${p}_ov(x int, y int default 0) returns text language sql immutable as $$ select 'int,int' $$;
    create function public.${p}_ov(x text) returns text language sql immutable as $$ select 'text' $$;
    create function public.${p}_ov(x int) returns text language sql immutable as $$ select 'int' $$;
    create function public.${p}_dflt(a int, b int default 1) returns int language sql immutable as $$ select a * 10 + b $$;
    create function public.${p}_dflt(a int) returns int language sql immutable as $$ select a $$;
    create function public.${p}_poly(v text) returns text language sql immutable as $$ select v $$;
    create function public.${p}_poly(v anyelement) returns anyelement language sql immutable as $$ select v $$;
    create function public.${p}_outfirst(out a int, b int) returns int language sql immutable as $$ select b $$;
    create function public.${trg}() returns trigger language plpgsql as $$ begin return new; end $$;`);
});
afterAll(async () => {
  const fns = await sql.unsafe(`select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and (p.proname like '${p}%' or p.proname = '${trg}')`);
  for (const f of fns) await sql.unsafe(`drop function ${f.sig as string}`);
  await sql.end();
});

describe('rpc: which functions are exposed', () => {
  it('two unnamed parameters: not in the schema cache (PGRST202, the hint names the closest exposed function)', async () => {
    const { error, status } = await client().rpc(`${p}_pair`, {});
    expect(status).toBe(404);
    expect(error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_pair without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_pairs`,
      message: `Could not find the function public.${p}_pair without parameters in the schema cache`,
    });
    // Its named twin is exposed.
    expect((await client().rpc(`${p}_pairs`, { a: 2, b: 3 })).data).toBe(5);
  });

  it('one unnamed parameter of another type (int): not in the cache, by JSON or by text/plain', async () => {
    const byJson = await client().rpc(`${p}_lone_int`, { x: 1 });
    expect(byJson.status).toBe(404);
    expect(byJson.error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_lone_int with parameter x or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_lone_txt`,
      message: `Could not find the function public.${p}_lone_int(x) in the schema cache`,
    });
    const byText = await rest(`/rpc/${p}_lone_int`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '5' });
    expect(byText.status).toBe(404);
    // A raw body names no parameters: no parameter list in the message, and never a hint.
    expect(byText.json).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_lone_int with a single unnamed text parameter, but no matches were found in the schema cache.`,
      hint: null,
      message: `Could not find the function public.${p}_lone_int in the schema cache`,
    });
  });

  it('trigger functions are not in the cache', async () => {
    const { error, status } = await client().rpc(trg);
    expect(status).toBe(404);
    expect(error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${trg} without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: null,
      message: `Could not find the function public.${trg} without parameters in the schema cache`,
    });
  });
});

describe('rpc: parameters read as PostgREST reads them', () => {
  it('an OUT parameter before an IN one shifts the names (unnest(proargnames, proargtypes, proargmodes))', async () => {
    const byIn = await client().rpc(`${p}_outfirst`, { b: 1 }, { get: true });
    expect(byIn.status).toBe(404);
    expect(byIn.error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_outfirst with parameter b, but no matches were found in the schema cache.`,
      hint: null,
      message: `Could not find the function public.${p}_outfirst(b) in the schema cache`,
    });
    const byOut = await client().rpc(`${p}_outfirst`, { a: 1 }, { get: true });
    expect(byOut.status).toBe(404);
    expect(byOut.error).toEqual({
      code: '42883', details: null,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      message: `function public.${p}_outfirst(a => integer) does not exist`,
    });
  });
});

describe('rpc: a single parameter takes the whole body, by Content-Type', () => {
  it('text/plain → text, text/xml → xml, application/octet-stream → bytea, JSON → json', async () => {
    const text = await rest(`/rpc/${p}_lone_txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect([text.status, text.text]).toEqual([200, '"got:hello"']);
    const xml = await rest(`/rpc/${p}_whole_xml`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a>1</a>' });
    expect([xml.status, xml.text]).toEqual([200, '"<a>1</a>"']);
    const bin = await rest(`/rpc/${p}_whole_bytes`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 1, 255]) });
    expect([bin.status, bin.text]).toEqual([200, '3']);
    const json = await client().rpc(`${p}_whole_json`, { any: 'keys', n: [1] });
    expect(json.data).toEqual({ any: 'keys', n: [1] });
  });

  it('`*/*` is no body type: 400 PGRST102 before any function is looked for (Payload.hs)', async () => {
    const any = await rest(`/rpc/${p}_whole_json`, { method: 'POST', headers: { 'content-type': '*/*' }, body: '{"a":1}' });
    expect(any.status).toBe(400);
    expect(any.json).toEqual({ code: 'PGRST102', details: null, hint: null, message: 'Content-Type not acceptable: */*' });
  });

  it('a body type no overload takes: PGRST202 naming the single unnamed parameter it looked for, without a hint', async () => {
    const bin = await rest(`/rpc/${p}_pairs`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(bin.status).toBe(404);
    expect(bin.json).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_pairs with a single unnamed bytea parameter, but no matches were found in the schema cache.`,
      hint: null,
      message: `Could not find the function public.${p}_pairs in the schema cache`,
    });
    const xml = await rest(`/rpc/${p}_lone_txt`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' });
    expect(xml.json).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_lone_txt with a single unnamed xml parameter, but no matches were found in the schema cache.`,
      hint: null,
      message: `Could not find the function public.${p}_lone_txt in the schema cache`,
    });
  });

  it('a named single json parameter: called by name; other keys select it too, but it is then called without arguments', async () => {
    expect((await client().rpc(`${p}_doc`, { doc: { k: 1 } })).data).toEqual({ k: 1 });
    // findProc's fallback accepts any one-parameter function of the body's type; callPlan then
    // passes only the named parameters the body has (none), as PostgreSQL reports.
    const other = await client().rpc(`${p}_doc`, { k: 1 });
    expect(other.status).toBe(404);
    expect(other.error).toEqual({
      code: '42883', details: null,
      hint: 'No function matches the given name and argument types. You might need to add explicit type casts.',
      message: `function public.${p}_doc() does not exist`,
    });
  });
});

describe('rpc: overload resolution', () => {
  it('candidates of PGRST203 come in PostgREST\'s order: fewer parameters first, then by name and type', async () => {
    const { error, status } = await client().rpc(`${p}_ov`, { x: 1 });
    expect(status).toBe(300);
    expect(error).toEqual({
      code: 'PGRST203', details: null, hint: HINT_203,
      message: `Could not choose the best candidate function between: public.${p}_ov(x => integer), public.${p}_ov(x => text), public.${p}_ov(x => integer, y => integer)`,
    });
    expect((await client().rpc(`${p}_ov`, { x: 1, y: 2 })).data).toBe('int,int');
  });

  it('a defaulted parameter makes two overloads ambiguous until it is given', async () => {
    const both = await client().rpc(`${p}_dflt`, { a: 4 }, { get: true });
    expect(both.status).toBe(300);
    expect(both.error).toEqual({
      code: 'PGRST203', details: null, hint: HINT_203,
      message: `Could not choose the best candidate function between: public.${p}_dflt(a => integer), public.${p}_dflt(a => integer, b => integer)`,
    });
    expect((await client().rpc(`${p}_dflt`, { a: 4, b: 2 }, { get: true })).data).toBe(42);
  });

  it('a polymorphic overload is a candidate like any other (anyelement sorts before text)', async () => {
    const { error } = await client().rpc(`${p}_poly`, { v: 'a' });
    expect(error).toEqual({
      code: 'PGRST203', details: null, hint: HINT_203,
      message: `Could not choose the best candidate function between: public.${p}_poly(v => anyelement), public.${p}_poly(v => text)`,
    });
  });

  it('wrong names: the hint is the closest overload\'s parameter list; GET details omit the json/jsonb alternative', async () => {
    const post = await client().rpc(`${p}_pairs`, { a: 1, c: 2 });
    expect(post.error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_pairs with parameters a, c or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_pairs(a, b)`,
      message: `Could not find the function public.${p}_pairs(a, c) in the schema cache`,
    });
    const get = await client().rpc(`${p}_pairs`, { a: 1, c: 2 }, { get: true });
    expect(get.error).toEqual({
      code: 'PGRST202',
      details: `Searched for the function public.${p}_pairs with parameters a, c, but no matches were found in the schema cache.`,
      hint: `Perhaps you meant to call the function public.${p}_pairs(a, b)`,
      message: `Could not find the function public.${p}_pairs(a, c) in the schema cache`,
    });
  });
});
