import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { policyInputs, rowIndependentFunctions } from '../../../stack/src/realtime/policy-purity.ts';

type Fixture = Record<string, { using: string; tree: string }>;
const here = path.dirname(fileURLToPath(import.meta.url));
const trees = JSON.parse(fs.readFileSync(path.join(here, 'policy-trees.pg17.json'), 'utf8')) as Fixture;
const tree = (name: string): string => trees[name]!.tree;

describe('policy purity (node trees from PostgreSQL 17)', () => {
  it('the stream tables\' policy reads org_id and calls jsonb -> / ? and auth.jwt()', () => {
    const inputs = policyInputs([tree('org_roles')])!;
    expect(inputs.attnums).toEqual([2]);
    // jsonb_exists (4047), jsonb_object_field (3478) and auth.jwt(), whose oid depends on the install.
    expect(inputs.functions).toEqual(expect.arrayContaining([3478, 4047]));
    expect(inputs.functions).toHaveLength(3);
  });

  it('collects columns and functions over several policies, permissive and restrictive', () => {
    const inputs = policyInputs([tree('owner_and_status'), tree('restrictive_coalesce'), null])!;
    expect(inputs.attnums).toEqual([3, 4, 5]);
    expect(inputs.functions).toContain(2956); // uuid_eq
    expect(inputs.functions).toContain(157); // textne
  });

  it('names every function, so the catalog can refuse now() (stable)', () => {
    expect(policyInputs([tree('now')])!.functions).toContain(1299);
  });

  it('refuses what may read other tables or the session', () => {
    expect(policyInputs([tree('exists_from_table')])).toBeNull(); // a sub-select FROM a relation
    expect(policyInputs([tree('current_user')])).toBeNull(); // SQLVALUEFUNCTION
    expect(policyInputs([tree('org_roles'), tree('current_user')])).toBeNull(); // one impure policy is enough
  });

  it('leaves user-defined functions to the catalog (named by oid)', () => {
    const inputs = policyInputs([tree('udf')])!;
    expect(inputs.attnums).toEqual([2]);
    expect(inputs.functions).toHaveLength(1);
  });

  it('refuses whole-row and system columns, unresolved operators and unknown nodes', () => {
    expect(policyInputs(['{VAR :varno 1 :varattno 0 :vartype 2249}'])).toBeNull();
    expect(policyInputs(['{VAR :varno 1 :varattno -1 :vartype 27}'])).toBeNull();
    expect(policyInputs(['{OPEXPR :opno 96 :opfuncid 0 :args ({CONST :consttype 23})}'])).toBeNull();
    expect(policyInputs(['{PARAM :paramkind 0 :paramid 1}'])).toBeNull();
    expect(policyInputs(['{BOOLEXPR :boolop and :args ({VAR :varno 2 :varattno 1})}'])).toBeNull();
    // A brace inside a name is escaped by PostgreSQL's outToken and is not a node.
    expect(policyInputs(['{TARGETENTRY :resname a\\{PARAM :resno 1}'])).toEqual({ attnums: [], functions: [] });
  });

  it('no policies, or none with a USING clause: nothing to read', () => {
    expect(policyInputs([])).toEqual({ attnums: [], functions: [] });
    expect(policyInputs([null])).toEqual({ attnums: [], functions: [] });
  });
});

describe('row-independent policies (the gate)', () => {
  // `(select rls.token_account_active())` as PostgreSQL 17 stores it (trimmed): a sub-select
  // without a range table around a call without arguments — no VAR anywhere.
  const cutOff = '{SUBLINK :subLinkType 4 :subLinkId 0 :testexpr <> :operName <> :subselect {QUERY :commandType 1 :rtable <> '
    + ':jointree {FROMEXPR :fromlist <> :quals <>} :targetList ({TARGETENTRY :expr {FUNCEXPR :funcid 17300 :funcresulttype 16 '
    + ':funcretset false :args <> :location 8} :resno 1 :resname token_account_active :resjunk false})} :location -1}';

  it('a policy that reads no column is row-independent; its functions are named for the volatility check', () => {
    expect(rowIndependentFunctions(cutOff)).toEqual([17300]);
    expect(policyInputs([cutOff])).not.toBeNull(); // pure nodes: only the catalog's function check refuses it
  });

  it('any column reference, even inside a sub-select, makes it row-dependent', () => {
    expect(rowIndependentFunctions(tree('org_roles'))).toBeNull();
    expect(rowIndependentFunctions(tree('exists_from_table'))).toBeNull();
    expect(rowIndependentFunctions(tree('udf'))).toBeNull(); // f(org_id)
    expect(rowIndependentFunctions('{VAR :varno 1 :varattno 0 :vartype 2249}')).toBeNull(); // whole row
  });

  it('refuses an unresolved function; an escaped brace in a name is not a VAR', () => {
    expect(rowIndependentFunctions('{OPEXPR :opno 96 :opfuncid 0 :args ({CONST :consttype 23})}')).toBeNull();
    expect(rowIndependentFunctions('{TARGETENTRY :resname a\\{VAR :resno 1}')).toEqual([]);
  });
});
