/**
 * Which JWT claims can a table's SELECT policies read? Subscribers whose role and those
 * claim values agree see exactly the same rows, so Realtime can authorize a change once
 * per such group instead of once per subscriber.
 *
 * The analysis reads the deparsed policy expressions in pg_policies. It recognises
 * `auth.jwt() -> 'k'` / `->> 'k'` (claim k), `auth.uid()` (sub), `auth.role()` (role),
 * `auth.email()` (email), plain column references, literals, operators and built-in
 * pg_catalog functions. Anything else — a sub-select FROM another table (whose own RLS
 * may read other claims), a user-defined or unknown function, current_setting(), bare
 * auth.jwt() — makes the answer `'all'`: group by the whole claims object.
 */

export type ClaimPaths = string[] | 'all';

/** SQL constructs that deparse like function calls but are syntax. */
const SYNTAX_CALLS = new Set([
  'coalesce', 'nullif', 'greatest', 'least', 'exists', 'any', 'all', 'some', 'array', 'row', 'in', 'not',
  'and', 'or', 'case', 'when', 'then', 'else', 'cast', 'select', 'values', 'is', 'distinct', 'from', 'between',
  'like', 'ilike', 'similar', 'with', 'as', 'on', 'using', 'filter', 'over', 'collate', 'at', 'zone', 'interval',
]);

/** pg_catalog functions that read session settings (and so possibly the claims). */
const SETTING_READERS = new Set(['current_setting', 'set_config']);

function stripLiterals(expr: string): { text: string; literals: string[] } {
  const literals: string[] = [];
  let text = '';
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i]!;
    if (ch === "'") {
      let lit = '';
      i++;
      while (i < expr.length) {
        if (expr[i] === "'" && expr[i + 1] === "'") { lit += "'"; i += 2; continue; }
        if (expr[i] === "'") break;
        lit += expr[i];
        i++;
      }
      literals.push(lit);
      text += `'$${literals.length - 1}'`;
      continue;
    }
    text += ch;
  }
  return { text, literals };
}

/**
 * Claim paths read by one policy expression. `isBuiltin(name)` says whether an
 * unqualified function name is a safe pg_catalog function.
 */
export function claimPathsOf(expression: string | null, isBuiltin: (name: string) => boolean): ClaimPaths {
  if (expression === null || expression.trim() === '') return [];
  const { text, literals } = stripLiterals(expression);
  if (/\bfrom\b/i.test(text)) return 'all';
  const paths = new Set<string>();
  const call = /("?[A-Za-z_][\w$]*"?)(?:\s*\.\s*("?[A-Za-z_][\w$]*"?))?\s*\(/g;
  for (let m = call.exec(text); m; m = call.exec(text)) {
    const a = m[1]!.replace(/"/g, '').toLowerCase();
    const b = m[2]?.replace(/"/g, '').toLowerCase();
    if (b !== undefined) {
      if (a === 'auth') {
        if (b === 'uid') { paths.add('sub'); continue; }
        if (b === 'role') { paths.add('role'); continue; }
        if (b === 'email') { paths.add('email'); continue; }
        if (b === 'jwt') {
          // auth.jwt() [AS x)] -> 'key'  — anything else reads the whole object.
          const after = text.slice(m.index + m[0].length);
          const key = /^\s*\)(?:\s+AS\s+"?\w+"?\s*\))?\s*->>?\s*'\$(\d+)'/i.exec(after);
          if (!key) return 'all';
          paths.add(literals[Number(key[1])]!);
          continue;
        }
        return 'all';
      }
      if (a === 'pg_catalog' && !SETTING_READERS.has(b)) continue;
      return 'all';
    }
    if (SYNTAX_CALLS.has(a)) continue;
    if (SETTING_READERS.has(a)) return 'all';
    if (!isBuiltin(a)) return 'all';
  }
  return [...paths].sort();
}

/** Union over several policies; 'all' wins. */
export function mergeClaimPaths(list: ClaimPaths[]): ClaimPaths {
  const out = new Set<string>();
  for (const p of list) {
    if (p === 'all') return 'all';
    for (const k of p) out.add(k);
  }
  return [...out].sort();
}

/**
 * The grouping key for a subscriber: role plus the values of the claims the policies
 * read (or the whole claims object).
 */
export function groupKey(role: string, claims: Record<string, unknown>, paths: ClaimPaths): string {
  if (paths === 'all') return role + '\u0000*' + stableStringify(claims);
  let key = role;
  for (const p of paths) key += '\u0000' + p + '=' + stableStringify(claims[p]);
  return key;
}

export function stableStringify(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(stableStringify).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + stableStringify(o[k])).join(',') + '}';
}
