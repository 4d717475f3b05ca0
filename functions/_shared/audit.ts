/**
 * The audit helper every privileged function uses: one `public.audit_log` row per
 * change (migrations/20261206000100_audit_log.sql), written in the transaction that
 * makes the change — the parameter is a postgres.js *transaction*, so a change and
 * its audit row commit or roll back together (a plain pool does not type-check).
 *
 * `before` / `after` hold the fields the change touched, not whole rows, so the log
 * stays small and says what changed.
 */
import type { TransactionSql } from 'postgres';
import type { Caller } from './auth-claims.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AuditEntry {
  orgId: string;
  /** What was done, e.g. `approve`, `resolve`, `member.add`. */
  action: string;
  /** The kind of row changed, e.g. `recommendation`, `alert`, `membership`. */
  targetType: string;
  targetId: string | number;
  before: Record<string, JsonValue> | null;
  after: Record<string, JsonValue> | null;
}

/** The auth.users id the log records: the signed-in person, or null for the service role / schedule. */
export function auditActor(caller: Caller): string | null {
  return caller.kind === 'user' ? caller.userId : null;
}

export async function writeAudit(tx: TransactionSql, caller: Caller, e: AuditEntry): Promise<void> {
  const json = (v: AuditEntry['before']): string | null => (v === null ? null : JSON.stringify(v));
  await tx`
    insert into public.audit_log (org_id, actor, action, target_type, target_id, before, after)
    values (${e.orgId}, ${auditActor(caller)}, ${e.action}, ${e.targetType}, ${String(e.targetId)},
            ${json(e.before)}::text::jsonb, ${json(e.after)}::text::jsonb)`;
}
