import { describe, expect, it } from 'vitest';
import { adminSql } from '../../support/db.ts';
import { useEmbedSchema } from './embed-schema.ts';
import { client, rest, serviceClient, stackInfo } from './helpers.ts';

// Resource embedding as PostgREST v14 answers it (docs: references/api/resource_embedding;
// source: Plan.hs findRel/addRels, Query/QueryBuilder.hs, Error/SchemaCacheError.hs),
// driven with supabase-js on a scratch schema that has every relationship kind.

const sql = adminSql();
const schema = useEmbedSchema(sql);
const { t } = schema;


describe('relationships from foreign keys', () => {
  it('many-to-one embeds an object (or null); the body is PostgREST\'s bytes (jsonb inside json_agg)', async () => {
    const { data, error, status } = await client().from(t('projects')).select('id, name, client:' + t('clients') + '(id, name)').order('id');
    expect(error).toBeNull();
    expect(status).toBe(200);
    expect(data).toEqual([
      { id: 1, name: 'Windows', client: { id: 1, name: 'Microsoft' } },
      { id: 2, name: 'Office', client: { id: 1, name: 'Microsoft' } },
      { id: 3, name: 'MacOS', client: { id: 2, name: 'Apple' } },
      { id: 4, name: 'iOS', client: { id: 2, name: 'Apple' } },
      { id: 5, name: 'Orphan', client: null },
    ]);
    const raw = await rest(`/${t('projects')}?select=id,client:${t('clients')}(id,name)&id=eq.1`);
    expect(raw.status).toBe(200);
    expect(raw.text).toBe('[{"id":1,"client":{"id": 1, "name": "Microsoft"}}]');
    expect(raw.headers.get('content-range')).toBe('0-0/*');
  });

  it('one-to-many embeds an array ([] when there are no children)', async () => {
    const { data, error } = await client().from(t('clients')).select(`name, ${t('projects')}(name)`)
      .order('id').order('id', { referencedTable: t('projects') });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Microsoft', [t('projects')]: [{ name: 'Windows' }, { name: 'Office' }] },
      { name: 'Apple', [t('projects')]: [{ name: 'MacOS' }, { name: 'iOS' }] },
      { name: 'Empty Co', [t('projects')]: [] },
    ]);
  });

  it('one-to-one (a unique foreign key) embeds an object both ways', async () => {
    const users = await client().from(t('users')).select(`name, passport:${t('passports')}(number)`).order('id');
    expect(users.error).toBeNull();
    expect(users.data).toEqual([
      { name: 'Angela', passport: { number: 'P-1' } },
      { name: 'Michael', passport: { number: 'P-2' } },
      { name: 'Dwight', passport: null },
    ]);
    const passports = await client().from(t('passports')).select(`number, owner:${t('users')}(name)`).order('id');
    expect(passports.data).toEqual([{ number: 'P-1', owner: { name: 'Angela' } }, { number: 'P-2', owner: { name: 'Michael' } }]);
  });

  it('many-to-many through a junction whose primary key holds both keys', async () => {
    const { data, error } = await client().from(t('users')).select(`name, tasks:${t('tasks')}(name)`)
      .order('id').order('id', { referencedTable: 'tasks' });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Angela', tasks: [{ name: 'design' }, { name: 'code' }] },
      { name: 'Michael', tasks: [{ name: 'design' }] },
      { name: 'Dwight', tasks: [{ name: 'test' }] },
    ]);
    const back = await client().from(t('tasks')).select(`name, ${t('users')}!${t('users_tasks')}(name)`).eq('id', 1)
      .order('id', { referencedTable: t('users') });
    expect(back.data).toEqual([{ name: 'design', [t('users')]: [{ name: 'Angela' }, { name: 'Michael' }] }]);
  });

  it('self-references: the column name embeds the parent, the table name the children', async () => {
    const { data, error } = await client().from(t('family')).select(`name, parent:parent_id(name), children:${t('family')}(name)`)
      .order('id').order('id', { referencedTable: 'children' });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'root', parent: null, children: [{ name: 'child a' }, { name: 'child b' }] },
      { name: 'child a', parent: { name: 'root' }, children: [{ name: 'grandchild' }] },
      { name: 'child b', parent: { name: 'root' }, children: [] },
      { name: 'grandchild', parent: { name: 'child a' }, children: [] },
    ]);
    const hinted = await client().from(t('family')).select(`name, kids:${t('family')}!parent_id(name)`).eq('id', 2);
    expect(hinted.data).toEqual([{ name: 'child a', kids: [{ name: 'grandchild' }] }]);
  });

  it('two keys to the same table: PGRST201 (300) lists the candidates; a constraint or column hint picks one', async () => {
    const amb = await rest(`/${t('orders')}?select=*,${t('addresses')}(*)`);
    expect(amb.status).toBe(300);
    expect(amb.json).toEqual({
      code: 'PGRST201',
      details: [
        { cardinality: 'many-to-one', embedding: `${t('orders')} with ${t('addresses')}`, relationship: `billing using ${t('orders')}(billing_address_id) and ${t('addresses')}(id)` },
        { cardinality: 'many-to-one', embedding: `${t('orders')} with ${t('addresses')}`, relationship: `shipping using ${t('orders')}(shipping_address_id) and ${t('addresses')}(id)` },
      ],
      hint: `Try changing '${t('addresses')}' to one of the following: '${t('addresses')}!billing', '${t('addresses')}!shipping'. Find the desired relationship in the 'details' key.`,
      message: `Could not embed because more than one relationship was found for '${t('orders')}' and '${t('addresses')}'`,
    });
    const { data, error } = await client().from(t('orders'))
      .select(`name, billing:${t('addresses')}!billing(city), shipping:${t('addresses')}!shipping_address_id(city)`);
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'o1', billing: { city: 'Paris' }, shipping: { city: 'Rome' } }]);
    const back = await client().from(t('addresses')).select(`city, billed:${t('orders')}!billing(name)`).order('id');
    expect(back.data).toEqual([{ city: 'Paris', billed: [{ name: 'o1' }] }, { city: 'Rome', billed: [] }]);
  });

  it('PGRST200 when nothing relates them (with PostgREST\'s hint), and with an unmatched hint', async () => {
    const none = await rest(`/${t('clients')}?select=name,${t('family')}(name)`);
    expect(none.status).toBe(400);
    expect(none.json).toEqual({
      code: 'PGRST200', details: `Searched for a foreign key relationship between '${t('clients')}' and '${t('family')}' in the schema 'public', but no matches were found.`,
      hint: null, message: `Could not find a relationship between '${t('clients')}' and '${t('family')}' in the schema cache`,
    });
    const typo = await rest(`/${t('clients')}?select=name,${t('projectz')}(name)`);
    expect(typo.json).toEqual({
      code: 'PGRST200', details: `Searched for a foreign key relationship between '${t('clients')}' and '${t('projectz')}' in the schema 'public', but no matches were found.`,
      hint: `Perhaps you meant '${t('projects')}' instead of '${t('projectz')}'.`, message: `Could not find a relationship between '${t('clients')}' and '${t('projectz')}' in the schema cache`,
    });
    const badHint = await rest(`/${t('projects')}?select=name,${t('clients')}!nope(name)`);
    expect(badHint.json).toEqual({
      code: 'PGRST200', details: `Searched for a foreign key relationship between '${t('projects')}' and '${t('clients')}' using the hint 'nope' in the schema 'public', but no matches were found.`,
      hint: null, message: `Could not find a relationship between '${t('projects')}' and '${t('clients')}' in the schema cache`,
    });
  });

  it('a foreign key added a moment ago is embedded at once (an unknown relationship refreshes the cache)', async () => {
    await sql.unsafe(`create table public.${t('late_a')} (id int primary key); create table public.${t('late_b')} (id int primary key, a_id int);
      insert into public.${t('late_a')} values (1); insert into public.${t('late_b')} values (7, 1);`);
    // Setup: wait until the cache knows both tables (misses reload at most every 250 ms).
    for (let i = 0; i < 50 && (await rest(`/${t('late_b')}?select=id`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    await sql.unsafe(`alter table public.${t('late_b')} add foreign key (a_id) references public.${t('late_a')}(id)`);
    const r = await rest(`/${t('late_b')}?select=id,${t('late_a')}(id)`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual([{ id: 7, [t('late_a')]: { id: 1 } }]);
    await sql.unsafe(`drop table public.${t('late_b')}, public.${t('late_a')}`);
  });

  it('PGRST100 for a malformed embed (PostgREST\'s pFieldForest doctest `id,clients(name[])`)', async () => {
    const select = `id,${t('clients')}(name[])`;
    const r = await rest(`/${t('projects')}?select=${select}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 'PGRST100',
      details: 'unexpected \'[\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input',
      hint: null,
      message: `"failed to parse select parameter (${select})" (line 1, column ${select.indexOf('[') + 1})`,
    });
  });

  it('aliases, renamed columns, casts and nesting to any depth', async () => {
    const { data, error } = await client().from(t('clients'))
      .select(`client_name:name, work:${t('projects')}(title:name, id::text, todo:${t('tasks')}(name, people:${t('users')}(name)))`)
      .eq('id', 1).order('id', { referencedTable: 'work' }).order('id', { referencedTable: 'work.todo' }).order('id', { referencedTable: 'work.todo.people' });
    expect(error).toBeNull();
    expect(data).toEqual([{
      client_name: 'Microsoft',
      work: [
        { title: 'Windows', id: '1', todo: [{ name: 'design', people: [{ name: 'Angela' }, { name: 'Michael' }] }, { name: 'code', people: [{ name: 'Angela' }] }] },
        { title: 'Office', id: '2', todo: [] },
      ],
    }]);
  });

  it('RLS applies to every embedded table as the request\'s role', async () => {
    const anon = await client().from(t('projects')).select(`name, ${t('notes')}(body)`).lte('id', 3).order('id').order('id', { referencedTable: t('notes') });
    expect(anon.data).toEqual([
      { name: 'Windows', [t('notes')]: [{ body: 'public note' }] },
      { name: 'Office', [t('notes')]: [] },
      { name: 'MacOS', [t('notes')]: [{ body: 'mac' }] },
    ]);
    const service = await serviceClient().from(t('projects')).select(`name, ${t('notes')}(body)`).eq('id', 1).order('id', { referencedTable: t('notes') });
    expect(service.data).toEqual([{ name: 'Windows', [t('notes')]: [{ body: 'public note' }, { body: 'secret' }] }]);
  });
});

describe('filtering, ordering and paging embeds', () => {
  const projects = (): string => t('projects');

  it('!inner filters the parents by the embed (and the count follows it); !left does not', async () => {
    const inner = await client().from(t('clients')).select(`name, ${projects()}!inner(name)`, { count: 'exact' }).eq(`${projects()}.name`, 'Windows');
    expect(inner.error).toBeNull();
    expect(inner.status).toBe(200);
    expect(inner.count).toBe(1);
    expect(inner.data).toEqual([{ name: 'Microsoft', [projects()]: [{ name: 'Windows' }] }]);
    const raw = await rest(`/${t('clients')}?select=name,${projects()}!inner(name)&${projects()}.name=eq.Windows`, { headers: { Prefer: 'count=exact' } });
    expect(raw.headers.get('content-range')).toBe('0-0/1');
    const left = await client().from(t('clients')).select(`name, ${projects()}!left(name)`).eq(`${projects()}.name`, 'Windows').order('id');
    expect(left.data).toEqual([
      { name: 'Microsoft', [projects()]: [{ name: 'Windows' }] },
      { name: 'Apple', [projects()]: [] },
      { name: 'Empty Co', [projects()]: [] },
    ]);
    const toOne = await client().from(projects()).select(`name, client:${t('clients')}!inner(name)`).eq('client.name', 'Apple').order('id');
    expect(toOne.data).toEqual([{ name: 'MacOS', client: { name: 'Apple' } }, { name: 'iOS', client: { name: 'Apple' } }]);
  });

  it('embedded filters, order, limit and offset through referencedTable', async () => {
    const { data, error } = await client().from(t('clients')).select(`name, ${projects()}(id, name)`)
      .in('id', [1, 2]).order('id')
      .order('id', { referencedTable: projects(), ascending: false })
      .limit(1, { referencedTable: projects() });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Microsoft', [projects()]: [{ id: 2, name: 'Office' }] },
      { name: 'Apple', [projects()]: [{ id: 4, name: 'iOS' }] },
    ]);
    const page = await client().from(t('clients')).select(`name, ${projects()}(name)`).eq('id', 1)
      .order('id', { referencedTable: projects() }).range(1, 1, { referencedTable: projects() });
    expect(page.data).toEqual([{ name: 'Microsoft', [projects()]: [{ name: 'Office' }] }]);
    const filtered = await client().from(t('clients')).select(`name, ${projects()}(name)`).gt(`${projects()}.id`, 3).order('id');
    expect(filtered.data).toEqual([
      { name: 'Microsoft', [projects()]: [] },
      { name: 'Apple', [projects()]: [{ name: 'iOS' }] },
      { name: 'Empty Co', [projects()]: [] },
    ]);
  });

  it('or inside an embed (rel.or=…)', async () => {
    const { data, error } = await client().from(t('clients')).select(`name, ${projects()}(name)`).in('id', [1, 2]).order('id')
      .or('name.eq.Windows,name.eq.iOS', { referencedTable: projects() });
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'Microsoft', [projects()]: [{ name: 'Windows' }] }, { name: 'Apple', [projects()]: [{ name: 'iOS' }] }]);
  });

  it('not.is.null / is.null on an embed filter the parents', async () => {
    const some = await client().from(t('clients')).select(`name, ${projects()}(name)`, { count: 'exact' })
      .eq(`${projects()}.name`, 'MacOS').not(projects(), 'is', null);
    expect(some.error).toBeNull();
    expect(some.count).toBe(1);
    expect(some.data).toEqual([{ name: 'Apple', [projects()]: [{ name: 'MacOS' }] }]);
    const without = await client().from(t('projects')).select(`name, client:${t('clients')}(name)`).is('client', null);
    expect(without.data).toEqual([{ name: 'Orphan', client: null }]);
  });

  it('ordering parents by a to-one embed; PGRST118 for a to-many one; PGRST108 for one not selected', async () => {
    const { data, error } = await client().from(t('projects')).select(`name, client:${t('clients')}(name)`).not('client_id', 'is', null)
      .order('client(name)', { ascending: true }).order('id');
    expect(error).toBeNull();
    expect((data as Array<{ name: string }> | null)?.map((r) => r.name)).toEqual(['MacOS', 'iOS', 'Windows', 'Office']);
    const many = await rest(`/${t('clients')}?select=name,${projects()}(name)&order=${projects()}(name)`);
    expect(many.status).toBe(400);
    expect(many.json).toEqual({
      code: 'PGRST118', details: `'${t('clients')}' and '${projects()}' do not form a many-to-one or one-to-one relationship`,
      hint: null, message: `A related order on '${projects()}' is not possible`,
    });
    const off = await rest(`/${t('clients')}?select=name&${projects()}.limit=1`);
    expect(off.json).toEqual({ code: 'PGRST108', details: null, hint: `Verify that '${projects()}' is included in the 'select' query parameter.`, message: `'${projects()}' is not an embedded resource in this request` });
  });
});

describe('spreads, JSON paths and counts inside embeds', () => {
  it('spreads a to-one embed\'s columns into the parent', async () => {
    const { data, error } = await client().from(t('projects')).select(`name, ...${t('clients')}(client_name:name, tier:meta->>tier)`).lte('id', 3).order('id');
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Windows', client_name: 'Microsoft', tier: 'gold' },
      { name: 'Office', client_name: 'Microsoft', tier: 'gold' },
      { name: 'MacOS', client_name: 'Apple', tier: 'silver' },
    ]);
  });

  it('spreads a to-many embed as one array per column (v14), ordered as asked', async () => {
    const { data, error } = await client().from(t('clients')).select(`name, ...${t('projects')}(project:name, id)`).order('id')
      .order('id', { referencedTable: t('projects'), ascending: false });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Microsoft', project: ['Office', 'Windows'], id: [2, 1] },
      { name: 'Apple', project: ['iOS', 'MacOS'], id: [4, 3] },
      { name: 'Empty Co', project: [], id: [] },
    ]);
  });

  it('JSON paths inside embeds are named by their last key', async () => {
    const { data, error } = await client().from(t('projects')).select(`name, client:${t('clients')}(meta->tier, level:meta->>tier)`).eq('id', 3);
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'MacOS', client: { tier: 'silver', level: 'silver' } }]);
  });

  it('rel(count) counts the related rows (PostgreSQL\'s rel.count = count(rel)), even with aggregates off', async () => {
    const { data, error } = await client().from(t('clients')).select(`name, ${t('projects')}(count)`).order('id');
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Microsoft', [t('projects')]: [{ count: 2 }] },
      { name: 'Apple', [t('projects')]: [{ count: 2 }] },
      { name: 'Empty Co', [t('projects')]: [{ count: 0 }] },
    ]);
    const agg = await rest(`/${t('clients')}?select=name,${t('projects')}(count())`);
    expect(agg.status).toBe(400);
    expect(agg.json).toEqual({ code: 'PGRST123', details: null, hint: null, message: 'Use of aggregate functions is not allowed' });
  });
});

describe('embedding after writes, on functions, through views and computed relationships', () => {
  it('insert, update, upsert and delete return their rows with embeds (return=representation)', async () => {
    const db = serviceClient();
    const ins = await db.from(t('projects')).insert({ id: 10, name: 'Xbox', client_id: 1 }).select(`name, client:${t('clients')}(name)`);
    expect(ins.error).toBeNull();
    expect(ins.status).toBe(201);
    expect(ins.data).toEqual([{ name: 'Xbox', client: { name: 'Microsoft' } }]);
    const upd = await db.from(t('projects')).update({ client_id: 2 }).eq('id', 10).select(`id, client:${t('clients')}(name), ${t('tasks')}(name)`);
    expect(upd.status).toBe(200);
    expect(upd.data).toEqual([{ id: 10, client: { name: 'Apple' }, [t('tasks')]: [] }]);
    const ups = await db.from(t('projects')).upsert({ id: 10, name: 'Xbox One', client_id: 1 }).select(`name, ...${t('clients')}(client:name)`);
    expect(ups.status).toBe(200);
    expect(ups.data).toEqual([{ name: 'Xbox One', client: 'Microsoft' }]);
    const del = await db.from(t('projects')).delete().eq('id', 10).select(`name, client:${t('clients')}(name)`);
    expect(del.status).toBe(200);
    expect(del.data).toEqual([{ name: 'Xbox One', client: { name: 'Microsoft' } }]);
    const raw = await rest(`/${t('projects')}?select=name,client:${t('clients')}(name)`, {
      method: 'POST', key: stackInfo().serviceRoleKey,
      headers: { Prefer: 'return=representation', 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 11, name: 'Surface', client_id: 1 }),
    });
    expect(raw.status).toBe(201);
    expect(raw.text).toBe('[{"name":"Surface","client":{"name": "Microsoft"}}]');
    expect(raw.headers.get('content-range')).toBe('*/*');
    await sql.unsafe(`delete from public.${t('projects')} where id = 11`);
  });

  it('embeds on a function returning rows of a table', async () => {
    const { data, error } = await client().rpc(t('all_projects')).select(`name, client:${t('clients')}(name)`).in('id', [1, 3]).order('id');
    expect(error).toBeNull();
    expect(data).toEqual([{ name: 'Windows', client: { name: 'Microsoft' } }, { name: 'MacOS', client: { name: 'Apple' } }]);
  });

  it('follows a view\'s columns to its base table\'s keys, both ways', async () => {
    const fromView = await client().from(t('projects_v')).select(`title, ${t('clients')}(name)`).eq('id', 4);
    expect(fromView.error).toBeNull();
    expect(fromView.data).toEqual([{ title: 'iOS', [t('clients')]: { name: 'Apple' } }]);
    const toView = await client().from(t('clients')).select(`name, ${t('projects_v')}(title)`).eq('id', 2).order('id', { referencedTable: t('projects_v') });
    expect(toView.data).toEqual([{ name: 'Apple', [t('projects_v')]: [{ title: 'MacOS' }, { title: 'iOS' }] }]);
    const viewOfView = await client().from(t('projects_vv')).select(`title, client:${t('clients')}(name)`).eq('id', 1);
    expect(viewOfView.data).toEqual([{ title: 'Windows', client: { name: 'Microsoft' } }]);
  });

  it('computed relationships: a function of the row returning a row (object) or a set (array)', async () => {
    const { data, error } = await client().from(t('projects')).select(`name, ${t('client_of')}(name), ${t('project_tasks')}(name)`).in('id', [1, 5]).order('id')
      .order('id', { referencedTable: t('project_tasks') });
    expect(error).toBeNull();
    expect(data).toEqual([
      { name: 'Windows', [t('client_of')]: { name: 'Microsoft' }, [t('project_tasks')]: [{ name: 'design' }, { name: 'code' }] },
      // A non-SETOF function that finds nothing still yields one all-NULL row in FROM — the
      // reason PostgREST's docs declare to-one computed relationships `returns setof … rows 1`.
      { name: 'Orphan', [t('client_of')]: { name: null }, [t('project_tasks')]: [] },
    ]);
    // `returns setof … rows 1` is to-one: an object, or null when the set is empty.
    const one = await client().from(t('projects')).select(`name, ${t('client_one')}(name)`).in('id', [1, 5]).order('id');
    expect(one.data).toEqual([{ name: 'Windows', [t('client_one')]: { name: 'Microsoft' } }, { name: 'Orphan', [t('client_one')]: null }]);
  });
});
