/**
 * Is a table's SELECT-policy verdict a pure function of the row's own column values and
 * the subscriber's role and claims? Then Realtime may decide a change from its WAL tuple
 * and remember the verdict per (group, values) instead of querying the table for every
 * batch (authorizer.ts). The analysis reads the policies' stored node trees
 * (`pg_policy.polqual::text`), which name every column (VAR), function and operator
 * (by oid) the expression uses; only a small allow-list of expression nodes is
 * accepted, and no sub-query may read a relation. The functions are checked against
 * pg_proc by the catalog (`pureFunctions`). Anything unrecognised: not pure.
 */

/** Expression nodes whose value depends only on their inputs (given fixed session settings). */
const PURE_NODES = new Set([
  'VAR', 'CONST', 'OPEXPR', 'FUNCEXPR', 'BOOLEXPR', 'NULLTEST', 'BOOLEANTEST', 'SCALARARRAYOPEXPR',
  'DISTINCTEXPR', 'NULLIFEXPR', 'COERCEVIAIO', 'RELABELTYPE', 'ARRAYCOERCEEXPR', 'COLLATEEXPR',
  'CASEEXPR', 'CASEWHEN', 'CASETESTEXPR', 'COALESCEEXPR', 'MINMAXEXPR', 'ARRAYEXPR', 'ROWEXPR',
  'FIELDSELECT',
  // `(select auth.jwt())` — a sub-select without a range table (RANGETBLENTRY is not allowed).
  'SUBLINK', 'QUERY', 'FROMEXPR', 'TARGETENTRY',
]);

export interface PolicyInputs {
  /** Column numbers the expressions read (attnum > 0). */
  attnums: number[];
  /** Functions the expressions call, operators' functions included. */
  functions: number[];
}

/**
 * The columns and functions a set of policy expressions (node-tree text, null = no USING
 * clause) depend on, or null when some construct is not known to be pure: a sub-query
 * over a relation, parameters, SQL value functions such as CURRENT_USER, a whole-row or
 * system column, a domain check, an operator whose function is not resolved.
 */
export function policyInputs(trees: Array<string | null>): PolicyInputs | null {
  const attnums = new Set<number>();
  const functions = new Set<number>();
  for (const tree of trees) {
    if (tree === null) continue;
    // Node names open with an unescaped `{` (outToken escapes braces inside names).
    for (const m of tree.matchAll(/(?<!\\)\{([A-Z_]+)/g)) if (!PURE_NODES.has(m[1]!)) return null;
    for (const m of tree.matchAll(/\{VAR :varno (\d+) :varattno (-?\d+)/g)) {
      const attnum = Number(m[2]);
      if (m[1] !== '1' || attnum <= 0) return null;
      attnums.add(attnum);
    }
    for (const m of tree.matchAll(/:(funcid|opfuncid) (\d+)/g)) {
      const oid = Number(m[2]);
      if (oid === 0) return null;
      functions.add(oid);
    }
  }
  return { attnums: [...attnums].sort((a, b) => a - b), functions: [...functions].sort((a, b) => a - b) };
}

/**
 * The functions a policy expression calls when it reads no column of the row at all — no
 * VAR node anywhere, not even inside a sub-select (conservative: a sub-select over a
 * relation that names its own columns is not recognised) — or null. Such an expression
 * (the cut-off policy's `(select rls.token_account_active())`) has one value per role,
 * claims and database state, whatever the row: the authorizer evaluates it once per group
 * per batch instead of probing every row (authorizer.ts "gate").
 */
export function rowIndependentFunctions(tree: string): number[] | null {
  if (/(?<!\\)\{VAR\b/.test(tree)) return null;
  const functions = new Set<number>();
  for (const m of tree.matchAll(/:(funcid|opfuncid) (\d+)/g)) {
    const oid = Number(m[2]);
    if (oid === 0) return null;
    functions.add(oid);
  }
  return [...functions].sort((a, b) => a - b);
}
