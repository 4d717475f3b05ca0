/**
 * Invitation lifecycle (pure): pending → accepted | revoked | expired.
 *
 * A pending invitation expires with the link its email carries: Auth's invite and
 * magic-link tokens live `[auth.email] otp_expiry` seconds (3600 in supabase/config.toml,
 * the hosted default; tests/unit/functions/members-rules.test.ts checks they agree).
 * Past that the link is refused by Auth, so the invitation is listed as expired and can
 * be resent (a new link, a new expiry) or revoked.
 */
import type { Database } from '../../_shared/database.types.ts';

export type InvitationStatus = Database['public']['Enums']['invitation_status'];

/** Lifetime of the emailed link, in seconds. */
export const INVITATION_LINK_SECONDS = 3600;

export function invitationExpiry(sentAt: Date, seconds = INVITATION_LINK_SECONDS): Date {
  return new Date(sentAt.getTime() + seconds * 1000);
}

/** The status an admin sees: a pending row whose link has expired is expired. */
export function effectiveStatus(status: InvitationStatus, expiresAt: Date, now: Date): InvitationStatus {
  return status === 'pending' && expiresAt.getTime() <= now.getTime() ? 'expired' : status;
}

export type InvitationAction = 'resend' | 'revoke' | 'accept';

/** Which effective statuses each action starts from. */
export const INVITATION_FROM: Readonly<Record<InvitationAction, readonly InvitationStatus[]>> = Object.freeze({
  resend: ['pending', 'expired'],
  revoke: ['pending', 'expired'],
  accept: ['pending'],
});

export function invitationAllows(action: InvitationAction, effective: InvitationStatus): boolean {
  return INVITATION_FROM[action].includes(effective);
}

/** Addresses compare case-insensitively (Auth stores them lower-cased). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
