/**
 * What a change to an org's roster may do (pure; table-tested in
 * tests/unit/functions/members-rules.test.ts).
 *
 *  - An org always keeps an admin: the last admin can be neither removed nor demoted (409).
 *  - Role changes reach the member's token at its next refresh (the access token hook
 *    reads memberships when Auth issues a token), so the answer says when at the latest.
 *  - Removal takes effect in the database at once, and the member's refresh tokens are
 *    revoked; their current access token still carries the org until it expires
 *    (jwt_expiry), which the answer reports as the access window.
 *  - The immediate cut-off bans the account, and the policies refuse a banned account's
 *    token at once (rls.token_account_active()), so there is no window; it is offered
 *    only when the removed member belongs to no other org (the ban locks them out of
 *    those too).
 */
import type { MemberRole } from '../../_shared/vocabulary.ts';

/** Auth's access-token lifetime (supabase/config.toml `[auth] jwt_expiry`, hosted default 3600 s). */
export const JWT_EXPIRY_SECONDS = 3600;

/** A ban long enough to mean "until an admin lifts it" (a Go duration, as Auth parses ban_duration). */
export const CUT_OFF_BAN_DURATION = '876000h';

export type RosterVerdict = { ok: true } | { ok: false; reason: 'last_admin'; message: string };

/**
 * Whether moving `target` from `current` to `next` (null = removed) leaves the org an
 * admin. `roles` are every member's current roles, the target's included.
 */
export function keepsAnAdmin(roles: readonly MemberRole[], current: MemberRole, next: MemberRole | null): RosterVerdict {
  if (current !== 'admin' || next === 'admin') return { ok: true };
  const admins = roles.filter((r) => r === 'admin').length;
  if (admins > 1) return { ok: true };
  return {
    ok: false, reason: 'last_admin',
    message: next === null
      ? 'This is the organisation\'s last admin; make someone else admin before removing them.'
      : 'This is the organisation\'s last admin; make someone else admin before changing their role.',
  };
}

/** Until when a token issued before `now` may still carry the old role or membership. */
export function accessWindowEnds(now: Date, jwtExpirySeconds = JWT_EXPIRY_SECONDS): Date {
  return new Date(now.getTime() + jwtExpirySeconds * 1000);
}

export type CutOffVerdict = { ok: true } | { ok: false; message: string };

/** The cut-off bans the account: only for a member of no other org. */
export function cutOffAllowed(otherOrgs: number): CutOffVerdict {
  return otherOrgs === 0
    ? { ok: true }
    : { ok: false, message: `The member belongs to ${otherOrgs} other organisation(s); an immediate cut-off would ban them there too. Remove without cut-off; their access here ends when their current token expires.` };
}
