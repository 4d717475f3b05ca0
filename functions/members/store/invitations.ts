/**
 * The members function's SQL on public.invitations. Rows are locked (`for update`)
 * before a resend, revoke or accept, so of two concurrent changes one sees the other's.
 */
import type { TransactionSql } from 'postgres';
import type { AcceptResult, InvitationRecord } from '../../_shared/contract.ts';
import type { MemberRole } from '../../_shared/vocabulary.ts';

type LinkType = InvitationRecord['link_type'];

const COLUMNS = 'id, org_id, email, role, invited_by, status, link_type, sent_at, send_count, expires_at, accepted_at, revoked_at';

/** Serialize invitations of one address to one org (check, email, insert) for the transaction. */
export async function lockAddress(tx: TransactionSql, orgId: string, email: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`hotwatch.invite:${orgId}:${email}`}, 0))`;
}

/** Pending rows whose link has expired become `expired` (so a new invitation may be sent). */
export async function expireLapsed(tx: TransactionSql, orgId: string | null, email: string): Promise<void> {
  await tx`update public.invitations set status = 'expired'
            where email = ${email} and status = 'pending' and expires_at <= now()
              and (${orgId}::uuid is null or org_id = ${orgId}::uuid)`;
}

/** The org's pending invitation of the address, if any (after expireLapsed). */
export async function pendingFor(tx: TransactionSql, orgId: string, email: string): Promise<InvitationRecord | null> {
  const [r] = await tx<InvitationRecord[]>`select ${tx.unsafe(COLUMNS)} from public.invitations
                                           where org_id = ${orgId} and email = ${email} and status = 'pending'`;
  return r ?? null;
}

export interface NewInvitation {
  orgId: string;
  email: string;
  role: MemberRole;
  invitedBy: string | null;
  linkType: LinkType;
  sentAt: Date;
  expiresAt: Date;
}

export async function insertInvitation(tx: TransactionSql, i: NewInvitation): Promise<InvitationRecord> {
  const [r] = await tx<InvitationRecord[]>`
    insert into public.invitations (org_id, email, role, invited_by, link_type, sent_at, expires_at)
    values (${i.orgId}, ${i.email}, ${i.role}, ${i.invitedBy}, ${i.linkType}, ${i.sentAt}, ${i.expiresAt})
    returning ${tx.unsafe(COLUMNS)}`;
  return r!;
}

export async function lockInvitation(tx: TransactionSql, orgId: string, id: string): Promise<InvitationRecord | null> {
  const [r] = await tx<InvitationRecord[]>`select ${tx.unsafe(COLUMNS)} from public.invitations
                                           where id = ${id} and org_id = ${orgId} for update`;
  return r ?? null;
}

export async function markResent(tx: TransactionSql, id: string, linkType: LinkType, sentAt: Date, expiresAt: Date): Promise<InvitationRecord> {
  const [r] = await tx<InvitationRecord[]>`
    update public.invitations set status = 'pending', link_type = ${linkType}, sent_at = ${sentAt}, expires_at = ${expiresAt},
                                  send_count = send_count + 1
     where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
  return r!;
}

export async function markRevoked(tx: TransactionSql, id: string): Promise<InvitationRecord> {
  const [r] = await tx<InvitationRecord[]>`
    update public.invitations set status = 'revoked', revoked_at = now() where id = ${id} returning ${tx.unsafe(COLUMNS)}`;
  return r!;
}

/**
 * Accept the user's live pending invitations (their confirmed address; not expired, not
 * revoked): memberships, `accepted`, one `member.accept` audit row each — the SQL function
 * the sign-in trigger also runs (migrations/20261206154217_cut_off_and_sign_in_acceptance.sql).
 */
export async function acceptPending(tx: TransactionSql, userId: string, via: string): Promise<AcceptResult['accepted']> {
  return tx<AcceptResult['accepted']>`
    select invitation_id, invited_org as org_id, invited_role as role from private.accept_invitations(${userId}, ${via})`;
}
