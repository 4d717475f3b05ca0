/**
 * A join's Postgres Changes bindings: parsed and checked against the publication, the role
 * and the tables' column types before the ok reply, with Realtime's error texts (the
 * channel sends them later as a postgres_changes system message).
 */
import type { Catalog } from './catalog.ts';
import type { RealtimeContext } from './context.ts';
import { castable, parseBinding, type BindingSpec } from './filters.ts';

export type ResolvedBindings = { ok: true; specs: BindingSpec[] } | { ok: false; error: string };

/** Whether a binding's schema/table pattern covers a published table. */
function covers(spec: BindingSpec, t: { schema: string; table: string }): boolean {
  return (spec.schema === '*' || t.schema === spec.schema) && (spec.table === '*' || t.table === spec.table);
}

/** Parse and check the bindings for the subscriber's role. */
export async function resolveBindings(ctx: RealtimeContext, bindings: Array<Record<string, unknown>>, role: string): Promise<ResolvedBindings> {
  if (bindings.length === 0) return { ok: true, specs: [] };
  const specs: BindingSpec[] = [];
  for (const b of bindings) {
    const parsed = parseBinding(b, ctx.limits.maxInFilterValues);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    specs.push(parsed.value);
  }
  try {
    let published = await ctx.catalog.publicationTables();
    const missing = (list: typeof published): boolean => specs.some((spec) => !list.some((t) => covers(spec, t)));
    if (missing(published)) published = await ctx.catalog.publicationTables(true);
    if (!(await ctx.catalog.roleExists(role))) {
      return { ok: false, error: `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(specs[0]!)}]. Exception: ERROR 22023 (invalid_parameter_value) role "${role}" does not exist` };
    }
    for (const spec of specs) {
      const tables = published.filter((t) => covers(spec, t));
      if (tables.length === 0) {
        return { ok: false, error: `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${describe(spec)}]` };
      }
      if (spec.filters.length > 0 || spec.select) {
        for (const t of tables) {
          const info = await ctx.catalog.tableByName(t.schema, t.table);
          if (!info) continue;
          for (const f of spec.filters) {
            const col = info.byName.get(f.baseColumn);
            const bad = !col ? `invalid column for filter ${f.column}`
              : f.op !== 'in' && f.op !== 'is' && f.op !== 'like' && f.op !== 'ilike' && f.op !== 'match' && f.op !== 'imatch' && f.jsonKey === undefined && !castable(col.type, f.value)
                ? `invalid input syntax for type ${col.type.name}: "${f.value}"` : undefined;
            if (bad) {
              return { ok: false, error: `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(spec)}]. Exception: ${bad}` };
            }
          }
        }
      }
    }
  } catch (e) {
    return { ok: false, error: `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(specs[0]!)}]. Exception: ${String(e)}` };
  }
  return { ok: true, specs };
}

/**
 * Load the subscribed tables' facts and this role's privileges now, in the background,
 * so the first change after SUBSCRIBED does not wait for catalog queries.
 */
export function warmCatalog(catalog: Catalog, specs: BindingSpec[], role: string): void {
  void catalog.publicationTables().then(async (published) => {
    const tables = published.filter((t) => specs.some((s) => covers(s, t)));
    for (const t of tables.slice(0, 20)) {
      const info = await catalog.tableByName(t.schema, t.table);
      if (info) await catalog.rolePrivileges(info, role);
    }
  }).catch(() => {}); // only a warm-up: the pipeline loads (and reports) for real
}

function describe(spec: BindingSpec): string {
  const filters = spec.filters.map((f) => `{"${f.column}", "${f.op}", "${f.value}"${f.negate ? ', true' : ''}}`).join(', ');
  return `event: ${spec.action}, schema: ${spec.schema}, table: ${spec.table}, filters: [${filters}], select: ${spec.select ? JSON.stringify(spec.select) : 'nil'}`;
}
