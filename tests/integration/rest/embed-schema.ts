import type { Sql } from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import { rest, uniqueName } from './helpers.ts';

/**
 * A scratch schema with every relationship kind PostgREST embeds (tables prefixed per
 * run): many-to-one / one-to-many (projects → clients, tasks → projects), one-to-one
 * (passports.user_id is unique), many-to-many (users ↔ tasks through users_tasks, whose
 * primary key is both keys), a self-reference (family.parent_id), two keys between the
 * same pair (orders → addresses: `billing`, `shipping`), RLS on notes (anon and
 * authenticated see only visible notes), a view over projects and a view over that view, computed relationships
 * and a function returning projects.
 */
export interface EmbedSchema {
  p: string;
  t: (name: string) => string;
}

export function embedSchemaName(): EmbedSchema {
  const p = uniqueName('emb');
  return { p, t: (name) => `${p}_${name}` };
}

/** Create the schema before the file's tests (and wait for the cache to see it); drop it and close `sql` after. */
export function useEmbedSchema(sql: Sql): EmbedSchema {
  const schema = embedSchemaName();
  beforeAll(async () => {
    await createEmbedSchema(sql, schema);
    // The first request after DDL waits for the reload it triggers; make it a cheap one.
    await rest(`/${schema.t('clients')}?select=id&limit=1`);
  });
  afterAll(async () => {
    await dropEmbedSchema(sql, schema);
    await sql.end();
  });
  return schema;
}

export async function createEmbedSchema(sql: Sql, { t }: EmbedSchema): Promise<void> {
  await sql.unsafe(`
    create table public.${t('clients')} (id int primary key, name text not null, meta jsonb);
    create table public.${t('projects')} (id int primary key, name text not null, client_id int references public.${t('clients')}(id));
    create table public.${t('tasks')} (id int primary key, name text not null, project_id int references public.${t('projects')}(id));
    create table public.${t('users')} (id int primary key, name text not null);
    create table public.${t('users_tasks')} (
      user_id int references public.${t('users')}(id), task_id int references public.${t('tasks')}(id), primary key (user_id, task_id));
    create table public.${t('passports')} (id int primary key, number text not null, user_id int unique references public.${t('users')}(id));
    create table public.${t('family')} (id int primary key, name text not null, parent_id int references public.${t('family')}(id));
    create table public.${t('addresses')} (id int primary key, city text not null);
    create table public.${t('orders')} (
      id int primary key, name text not null, billing_address_id int, shipping_address_id int,
      constraint billing foreign key (billing_address_id) references public.${t('addresses')}(id),
      constraint shipping foreign key (shipping_address_id) references public.${t('addresses')}(id));
    create table public.${t('notes')} (id int primary key, body text not null, visible boolean not null, project_id int references public.${t('projects')}(id));
    alter table public.${t('notes')} enable row level security;
    create policy visible_notes on public.${t('notes')} for select to anon, authenticated using (visible);
    create view public.${t('projects_v')} as select id, name as title, client_id from public.${t('projects')};
    create view public.${t('projects_vv')} as select title, client_id, id from public.${t('projects_v')};
    create function public.${t('client_one')}(public.${t('projects')}) returns setof public.${t('clients')} rows 1
      language sql stable as $$ select * from public.${t('clients')} where id = $1.client_id $$;
    create function public.${t('client_of')}(public.${t('projects')}) returns public.${t('clients')}
      language sql stable as $$ select * from public.${t('clients')} where id = $1.client_id $$;
    create function public.${t('project_tasks')}(public.${t('projects')}) returns setof public.${t('tasks')}
      language sql stable as $$ select * from public.${t('tasks')} where project_id = $1.id $$;
    create function public.${t('all_projects')}() returns setof public.${t('projects')}
      language sql stable as $$ select * from public.${t('projects')} $$;
    grant select, insert, update, delete on ${['clients', 'projects', 'tasks', 'users', 'users_tasks', 'passports', 'family', 'addresses', 'orders', 'notes', 'projects_v', 'projects_vv']
      .map((n) => `public.${t(n)}`).join(', ')} to anon, authenticated, service_role;

    insert into public.${t('clients')} values (1, 'Microsoft', '{"tier":"gold"}'), (2, 'Apple', '{"tier":"silver"}'), (3, 'Empty Co', null);
    insert into public.${t('projects')} values (1, 'Windows', 1), (2, 'Office', 1), (3, 'MacOS', 2), (4, 'iOS', 2), (5, 'Orphan', null);
    insert into public.${t('tasks')} values (1, 'design', 1), (2, 'code', 1), (3, 'test', 3);
    insert into public.${t('users')} values (1, 'Angela'), (2, 'Michael'), (3, 'Dwight');
    insert into public.${t('users_tasks')} values (1, 1), (1, 2), (2, 1), (3, 3);
    insert into public.${t('passports')} values (1, 'P-1', 1), (2, 'P-2', 2);
    insert into public.${t('family')} values (1, 'root', null), (2, 'child a', 1), (3, 'child b', 1), (4, 'grandchild', 2);
    insert into public.${t('addresses')} values (1, 'Paris'), (2, 'Rome');
    insert into public.${t('orders')} values (1, 'o1', 1, 2);
    insert into public.${t('notes')} values (1, 'public note', true, 1), (2, 'secret', false, 1), (3, 'mac', true, 3);
    notify pgrst, 'reload schema';`);
}

export async function dropEmbedSchema(sql: Sql, { t }: EmbedSchema): Promise<void> {
  await sql.unsafe(`
    drop function if exists public.${t('all_projects')}(), public.${t('project_tasks')}(public.${t('projects')}), public.${t('client_of')}(public.${t('projects')}),
      public.${t('client_one')}(public.${t('projects')});
    drop view if exists public.${t('projects_vv')}, public.${t('projects_v')};
    drop table if exists public.${t('notes')}, public.${t('orders')}, public.${t('addresses')}, public.${t('family')}, public.${t('passports')},
      public.${t('users_tasks')}, public.${t('users')}, public.${t('tasks')}, public.${t('projects')}, public.${t('clients')};`);
}
