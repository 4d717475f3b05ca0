import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliDbUrl, supabaseCli } from '../../stack/src/postgres/migrate.ts';
import { adminSql } from '../support/db.ts';
import fs from 'node:fs/promises';

const sql = adminSql();
afterAll(() => sql.end());

describe('migrations', () => {
  it('applied every file in migrations/ from scratch, recorded by the Supabase CLI', async () => {
    const files = (await fs.readdir(new URL('../../migrations/', import.meta.url))).filter((f) => f.endsWith('.sql')).sort();
    const rows = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => f.split('_')[0]));
  });

  it('`supabase migration list --db-url` agrees that local and remote match', async () => {
    if (!inject('stack').embedded) return;
    const { stdout } = await supabaseCli(['migration', 'list', '--db-url', cliDbUrl(inject('stack').dbUrl)]);
    const lines = stdout.split('\n').filter((l) => /^\s*`?\d{14}`?\s*\|/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const [local, remote] = line.split('|').map((s) => s.trim());
      expect(remote).toBe(local);
    }
  });

  it('the stream tables are in the supabase_realtime publication', async () => {
    const rows = await sql<{ tablename: string }[]>`
      select tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' order by tablename`;
    expect(rows.map((r) => r.tablename)).toEqual(['alerts', 'feed_keys', 'hotspots', 'org_settings', 'playbook_hidden', 'playbooks', 'recommendations']);
  });

  it('the seed created demo orgs with an operator and a viewer each', async () => {
    const rows = await sql<{ slug: string; roles: string[] }[]>`
      select o.slug, array_agg(m.role::text order by m.role) as roles
        from public.orgs o join public.memberships m on m.org_id = o.id
       where o.slug in ('northside', 'harbor') group by o.slug order by o.slug`;
    expect(rows).toEqual([
      { slug: 'harbor', roles: ['viewer', 'operator'] },
      { slug: 'northside', roles: ['viewer', 'operator', 'admin'] },
    ]);
  });

  it('the seeded orgs: Northside is the demo, Harbor is not; both have default settings', async () => {
    const rows = await sql<{ slug: string; is_demo: boolean; time_zone: string; area: unknown }[]>`
      select o.slug, o.is_demo, s.time_zone, s.area from public.orgs o join public.org_settings s on s.org_id = o.id
       where o.slug in ('northside', 'harbor') order by o.slug`;
    expect(rows).toEqual([
      { slug: 'harbor', is_demo: false, time_zone: 'UTC', area: null },
      { slug: 'northside', is_demo: true, time_zone: 'UTC', area: null },
    ]);
  });
});
