/**
 * The members function's SQL on memberships and Auth's sessions. A roster change
 * locks the org's membership rows first (`for update`), so two admins demoting each
 * other at once are serialized and the last-admin rule sees the committed roster.
 *
 * Sessions: removal deletes the member's rows in `auth.sessions` (their refresh tokens
 * go with them, `refresh_tokens.session_id … on delete cascade`), as Auth's own
 * `logout` with scope=global does. On hosted Supabase the functions connect over
 * SUPABASE_DB_URL as `postgres`, which may write Auth's tables.
 */
import type { ISql, TransactionSql } from 'postgres';
import type { DbRow } from '../../_shared/rows.ts';
import type { MemberRole } from '../../_shared/vocabulary.ts';

type Member = DbRow<'memberships', 'user_id' | 'role'>;

/** Lock and read the org's roster. */
export async function lockRoster(tx: TransactionSql, orgId: string): Promise<Member[]> {
  return tx<Member[]>`select user_id, role from public.memberships where org_id = ${orgId} order by user_id for update`;
}

export async function setRole(tx: TransactionSql, orgId: string, userId: string, role: MemberRole): Promise<void> {
  await tx`update public.memberships set role = ${role} where org_id = ${orgId} and user_id = ${userId}`;
}

export async function deleteMembership(tx: TransactionSql, orgId: string, userId: string): Promise<void> {
  await tx`delete from public.memberships where org_id = ${orgId} and user_id = ${userId}`;
}

export async function otherOrgCount(tx: TransactionSql, orgId: string, userId: string): Promise<number> {
  const [r] = await tx<{ n: number }[]>`select count(*)::int as n from public.memberships where user_id = ${userId} and org_id <> ${orgId}`;
  return r!.n;
}

/** Whether the address already belongs to a member of the org. */
export async function isMemberEmail(sql: ISql, orgId: string, email: string): Promise<boolean> {
  const r = await sql`select 1 from public.memberships where org_id = ${orgId} and lower(email) = ${email}`;
  return r.length > 0;
}

/** Revoke every refresh token of the user (Auth's logout scope=global); how many sessions ended. */
export async function revokeSessions(tx: TransactionSql, userId: string): Promise<number> {
  const r = await tx`delete from auth.sessions where user_id = ${userId}`;
  return r.count;
}
