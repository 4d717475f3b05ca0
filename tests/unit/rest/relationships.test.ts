import { describe, expect, it } from 'vitest';
import { RestError } from '../../../stack/src/rest/errors.ts';
import { buildRelationships, findRelationship, relIsToOne, type FkRow, type QI } from '../../../stack/src/rest/relationships.ts';

// Relationship detection and findRel against PostgREST's own cases (SchemaCache.hs
// addInverseRels/addM2MRels, Plan.hs findRel, Error/SchemaCacheError.hs noRelBetweenHint doctests).

const qi = (name: string): QI => ({ schema: 'api', name });
const fk = (table: string, foreign: string, constraint: string, columns: Array<[string, string]>, oneToOne = false): FkRow =>
  ({ table: qi(table), foreignTable: qi(foreign), constraint, columns, oneToOne });

function rels(fks: FkRow[], pks: Record<string, string[]> = {}): ReturnType<typeof buildRelationships> {
  return buildRelationships({ fks, viewColumns: [], computed: [], pkOf: (t) => pks[t.name] ?? [] });
}

function errorOf(fn: () => unknown): RestError {
  try { fn(); } catch (e) { if (e instanceof RestError) return e; throw e; }
  throw new Error('no error');
}

describe('relationships', () => {
  it('a foreign key is many-to-one one way and one-to-many the other; a unique one is one-to-one both ways', () => {
    const m = rels([fk('projects', 'clients', 'projects_client_id_fkey', [['client_id', 'id']]), fk('passports', 'users', 'pp_user', [['user_id', 'id']], true)]);
    const p = findRelationship('api', m, 'projects', 'clients', undefined);
    expect(p.kind === 'fk' && p.card.kind).toBe('m2o');
    expect(relIsToOne(p)).toBe(true);
    const c = findRelationship('api', m, 'clients', 'projects', undefined);
    expect(c.kind === 'fk' && c.card).toEqual({ kind: 'o2m', constraint: 'projects_client_id_fkey', columns: [['id', 'client_id']] });
    expect(relIsToOne(c)).toBe(false);
    expect(relIsToOne(findRelationship('api', m, 'users', 'passports', undefined))).toBe(true);
    // The target may also be the constraint or the single key column.
    expect(findRelationship('api', m, 'projects', 'client_id', undefined)).toBe(p);
    expect(findRelationship('api', m, 'projects', 'projects_client_id_fkey', undefined)).toBe(p);
  });

  it('many-to-many only through a junction whose primary key covers both keys', () => {
    const fks = [fk('users_tasks', 'users', 'ut_user', [['user_id', 'id']]), fk('users_tasks', 'tasks', 'ut_task', [['task_id', 'id']])];
    const withPk = rels(fks, { users_tasks: ['user_id', 'task_id'] });
    const r = findRelationship('api', withPk, 'users', 'tasks', undefined);
    expect(r.kind === 'fk' && r.card).toEqual({
      kind: 'm2m', junction: qi('users_tasks'), constraint1: 'ut_user', constraint2: 'ut_task',
      sourceColumns: [['id', 'user_id']], targetColumns: [['id', 'task_id']],
    });
    expect(findRelationship('api', withPk, 'users', 'tasks', 'users_tasks')).toBe(r);
    expect(errorOf(() => findRelationship('api', rels(fks, { users_tasks: ['id'] }), 'users', 'tasks', undefined)).body.code).toBe('PGRST200');
  });

  it('self-references: the column names the parent, the table (with a referenced-column hint) the children', () => {
    const m = rels([fk('family', 'family', 'family_parent_fkey', [['parent_id', 'id']])]);
    expect((findRelationship('api', m, 'family', 'parent_id', undefined) as { card: { kind: string } }).card.kind).toBe('m2o');
    expect((findRelationship('api', m, 'family', 'family', undefined) as { card: { kind: string } }).card.kind).toBe('o2m');
    expect((findRelationship('api', m, 'family', 'family', 'parent_id') as { card: { kind: string } }).card.kind).toBe('o2m');
  });

  it('PGRST201 lists the candidates (300) in PostgREST\'s shape', () => {
    const m = rels([fk('orders', 'addresses', 'shipping', [['shipping_address_id', 'id']]), fk('orders', 'addresses', 'billing', [['billing_address_id', 'id']])]);
    const e = errorOf(() => findRelationship('api', m, 'orders', 'addresses', undefined));
    expect(e.status).toBe(300);
    expect(e.body).toEqual({
      code: 'PGRST201',
      details: [
        { cardinality: 'many-to-one', embedding: 'orders with addresses', relationship: 'billing using orders(billing_address_id) and addresses(id)' },
        { cardinality: 'many-to-one', embedding: 'orders with addresses', relationship: 'shipping using orders(shipping_address_id) and addresses(id)' },
      ],
      hint: "Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.",
      message: "Could not embed because more than one relationship was found for 'orders' and 'addresses'",
    });
    expect((findRelationship('api', m, 'orders', 'addresses', 'billing_address_id') as { card: { constraint: string } }).card.constraint).toBe('billing');
    expect((findRelationship('api', m, 'orders', 'addresses', 'shipping') as { card: { constraint: string } }).card.constraint).toBe('shipping');
  });

  it('PGRST200 hints follow noRelBetweenHint\'s doctests', () => {
    const m = rels([fk('films', 'directors', 'f_d', [['director_id', 'id']]), fk('films', 'roles', 'f_r', [['role_id', 'id']]), fk('films', 'actors', 'f_a', [['actor_id', 'id']])]);
    const hint = (parent: string, child: string): unknown => errorOf(() => findRelationship('api', m, parent, child, 'nohint')).body.hint;
    expect(hint('film', 'directors')).toBe("Perhaps you meant 'films' instead of 'film'.");
    expect(hint('films', 'role')).toBe("Perhaps you meant 'roles' instead of 'role'.");
    expect(hint('films', 'actors')).toBeNull();
    expect(hint('noclosealternative', 'roles')).toBeNull();
    expect(hint('films', 'noclosealternative')).toBeNull();
    expect(errorOf(() => findRelationship('api', m, 'films', 'actors', 'nohint')).body.details)
      .toBe("Searched for a foreign key relationship between 'films' and 'actors' using the hint 'nohint' in the schema 'api', but no matches were found.");
  });
});
