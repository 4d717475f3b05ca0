import type { InternalDb, Queryable } from '../postgres/internal-db.ts';
import type { AuthResult } from '../rest/auth.ts';
import { fromDbError } from './errors.ts';

/**
 * Storage's database scoping (src/storage/database/knex.ts `setScope`): each request's
 * metadata queries run in a transaction as the request's role with its JWT claims in
 * `request.jwt.claims` (and the legacy `request.jwt.claim.sub`/`.role`), so RLS on
 * storage.objects and storage.buckets decides; service_role has BYPASSRLS.
 * `asSuperUser` is Storage's `asSuperUser()` — bucket lookups for limits, public reads —
 * here as service_role. The pool logs in as `authenticator`, as REST's does, so a JWT can
 * only switch to the roles granted to it (anon, authenticated, service_role).
 */
const SUPER_USER = { role: 'service_role', claims: { role: 'service_role' } };

export class StorageDb {
  constructor(private readonly db: InternalDb) {}

  async as<T>(auth: Pick<AuthResult, 'role' | 'claims'>, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.db.begin(async (tx) => {
        const sub = typeof auth.claims.sub === 'string' ? auth.claims.sub : '';
        await tx`select set_config('role', ${auth.role}, true), set_config('request.jwt.claims', ${JSON.stringify(auth.claims)}, true),
          set_config('request.jwt.claim.sub', ${sub}, true), set_config('request.jwt.claim.role', ${auth.role}, true)`;
        return fn(tx);
      });
    } catch (e) {
      throw fromDbError(e);
    }
  }

  asSuperUser<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.as(SUPER_USER, fn);
  }

  end(): Promise<void> { return this.db.end(); }
}
