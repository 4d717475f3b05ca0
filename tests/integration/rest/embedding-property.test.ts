import fc from 'fast-check';
import type postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { adminSql, asRole } from '../../support/db.ts';
import { useEmbedSchema } from './embed-schema.ts';
import { client, rest } from './helpers.ts';

// Property: for random embed trees over the scratch schema (every relationship kind,
// RLS on notes, `!inner` anywhere), the embedded rows supabase-js gets equal what plain,
// hand-written SQL returns as the same role (anon) — one query per parent row and edge,
// nothing shared with the REST SQL builder.

const sql = adminSql();
const schema = useEmbedSchema(sql);
const { t } = schema;
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

interface Edge {
  /** How the select names it (table name, or a column for the self parent). */
  target: string;
  to: string;
  toOne: boolean;
  /** Child rows of a parent row, by hand. */
  rows: (tx: postgres.TransactionSql, parent: Row) => Promise<Row[]>;
}
type Row = Record<string, unknown>;

const COLS: Record<string, string[]> = {
  clients: ['id', 'name'], projects: ['id', 'name'], tasks: ['id', 'name'], users: ['id', 'name'],
  passports: ['id', 'number'], family: ['id', 'name'], notes: ['id', 'body'],
};

const by = (table: string, col: string) => (tx: postgres.TransactionSql, v: unknown): Promise<Row[]> =>
  tx.unsafe(`select * from public.${t(table)} where ${col} = $1 order by id`, [v as number]) as unknown as Promise<Row[]>;

const EDGES: Record<string, Edge[]> = {
  clients: [{ target: t('projects'), to: 'projects', toOne: false, rows: (tx, r) => by('projects', 'client_id')(tx, r.id) }],
  projects: [
    { target: t('clients'), to: 'clients', toOne: true, rows: (tx, r) => (r.client_id === null ? Promise.resolve([]) : by('clients', 'id')(tx, r.client_id)) },
    { target: t('tasks'), to: 'tasks', toOne: false, rows: (tx, r) => by('tasks', 'project_id')(tx, r.id) },
    { target: t('notes'), to: 'notes', toOne: false, rows: (tx, r) => by('notes', 'project_id')(tx, r.id) },
  ],
  tasks: [
    { target: t('projects'), to: 'projects', toOne: true, rows: (tx, r) => (r.project_id === null ? Promise.resolve([]) : by('projects', 'id')(tx, r.project_id)) },
    {
      target: t('users'), to: 'users', toOne: false,
      rows: (tx, r) => tx.unsafe(`select u.* from public.${t('users')} u join public.${t('users_tasks')} j on j.user_id = u.id where j.task_id = $1 order by u.id`, [r.id as number]) as unknown as Promise<Row[]>,
    },
  ],
  users: [
    {
      target: t('tasks'), to: 'tasks', toOne: false,
      rows: (tx, r) => tx.unsafe(`select k.* from public.${t('tasks')} k join public.${t('users_tasks')} j on j.task_id = k.id where j.user_id = $1 order by k.id`, [r.id as number]) as unknown as Promise<Row[]>,
    },
    { target: t('passports'), to: 'passports', toOne: true, rows: (tx, r) => by('passports', 'user_id')(tx, r.id) },
  ],
  passports: [{ target: t('users'), to: 'users', toOne: true, rows: (tx, r) => (r.user_id === null ? Promise.resolve([]) : by('users', 'id')(tx, r.user_id)) }],
  family: [
    { target: 'parent_id', to: 'family', toOne: true, rows: (tx, r) => (r.parent_id === null ? Promise.resolve([]) : by('family', 'id')(tx, r.parent_id)) },
    { target: t('family'), to: 'family', toOne: false, rows: (tx, r) => by('family', 'parent_id')(tx, r.id) },
  ],
  notes: [{ target: t('projects'), to: 'projects', toOne: true, rows: (tx, r) => (r.project_id === null ? Promise.resolve([]) : by('projects', 'id')(tx, r.project_id)) }],
};

interface Tree { edge: number; inner: boolean; children: Tree[] }
interface Node { table: string; children: Array<{ edge: Edge; inner: boolean; node: Node }> }

/** Random trees: each node picks up to two edges of its table, two levels deep at most. */
const treeArb: fc.Arbitrary<Tree[]> = fc.letrec<{ forest: Tree[]; tree: Tree }>((tie) => ({
  tree: fc.record({ edge: fc.nat(5), inner: fc.boolean(), children: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant<Tree[]>([]), tie('forest')) }),
  forest: fc.array(tie('tree'), { maxLength: 2 }),
})).forest;

function resolve(table: string, forest: Tree[], depth = 0): Node {
  const edges = EDGES[table] ?? [];
  return {
    table,
    children: depth >= 3 || edges.length === 0 ? [] : forest.map((tr) => {
      const edge = edges[tr.edge % edges.length] as Edge;
      return { edge, inner: tr.inner, node: resolve(edge.to, tr.children, depth + 1) };
    }),
  };
}

/** The select string, aliasing each embed e<depth>_<index>, and its order parameters. */
function selectOf(n: Node, path: string[], orders: string[]): string {
  const parts = [...(COLS[n.table] ?? [])];
  n.children.forEach((c, i) => {
    const alias = `e${path.length}_${i}`;
    const p = [...path, alias];
    if (!c.edge.toOne) orders.push(`${p.join('.')}.order=id`);
    parts.push(`${alias}:${c.edge.target}${c.inner ? '!inner' : ''}(${selectOf(c.node, p, orders)})`);
  });
  return parts.join(',');
}

async function expected(tx: postgres.TransactionSql, n: Node, rows: Row[], path: string[]): Promise<Row[]> {
  const out: Row[] = [];
  for (const r of rows) {
    const o: Row = Object.fromEntries((COLS[n.table] ?? []).map((c) => [c, r[c]]));
    let keep = true;
    for (const [i, c] of n.children.entries()) {
      const alias = `e${path.length}_${i}`;
      const kids = await expected(tx, c.node, await c.edge.rows(tx, r), [...path, alias]);
      if (c.inner && kids.length === 0) keep = false;
      o[alias] = c.edge.toOne ? kids[0] ?? null : kids;
    }
    if (keep) out.push(o);
  }
  return out;
}


describe('embedding property: REST embeds equal hand-written SQL under the same role', () => {
  it('random embed trees from every table', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...Object.keys(EDGES)), treeArb, async (root, forest) => {
      const tree = resolve(root, forest);
      const orders: string[] = [];
      const select = selectOf(tree, [], orders);
      const query = new URLSearchParams([['select', select], ['order', 'id'], ...orders.map((o) => o.split('=') as [string, string])]);
      const res = await rest(`/${t(root)}?${query.toString()}`);
      expect(res.status, res.text).toBe(200);
      const want = await asRole(sql, 'anon', {}, async (tx) => {
        const rows = await tx.unsafe(`select * from public.${t(root)} order by id`) as unknown as Row[];
        return expected(tx, tree, rows, []);
      });
      expect(res.json).toEqual(want);
    }), { numRuns: RUNS });
  });

  it('the same through supabase-js', async () => {
    const { data, error } = await client().from(t('users')).select(`id,name,e0_0:${t('tasks')}!inner(id,name,e1_0:${t('projects')}(id,name))`).order('id')
      .order('id', { referencedTable: 'e0_0' });
    expect(error).toBeNull();
    const tree = resolve('users', [{ edge: 0, inner: true, children: [{ edge: 0, inner: false, children: [] }] }]);
    const want = await asRole(sql, 'anon', {}, async (tx) => expected(tx, tree, await tx.unsafe(`select * from public.${t('users')} order by id`) as unknown as Row[], []));
    expect(data).toEqual(want);
  });
});
