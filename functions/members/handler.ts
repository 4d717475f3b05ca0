/**
 * members: an org's admins invite people, change roles and remove members; an invitee
 * accepts. Thin handler: who may call (here), what a change may do (rules/), the SQL
 * (store/), Auth's emails and bans (auth-admin.ts).
 *
 * Callers: a signed-in admin of the org for invite, resend, revoke, change_role and
 * remove (viewer/operator → 403, another org's user → 404, anon → 401, the service role
 * → 403: a roster change needs a person to audit). `accept` is any signed-in user: it
 * joins the orgs whose pending invitations name the caller's confirmed address — which
 * signing in also does (a trigger on auth.users, same SQL function).
 *
 * Every change writes its public.audit_log row in its own transaction (_shared/audit.ts).
 */
import type { Sql, TransactionSql } from 'postgres';
import { writeAudit } from '../_shared/audit.ts';
import { refuseBannedCaller } from '../_shared/account-status.ts';
import { callerFromRequest, requireOrgRole, type Caller } from '../_shared/auth-claims.ts';
import type { AcceptResult, InvitationRecord, InvitationResult, RemovalResult, RoleChangeResult } from '../_shared/contract.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { fieldErrors } from '../_shared/validation.ts';
import type { MemberRole } from '../_shared/vocabulary.ts';
import type { AuthAdmin } from './auth-admin.ts';
import { effectiveStatus, invitationAllows, invitationExpiry, type InvitationAction } from './rules/invitations.ts';
import { accessWindowEnds, cutOffAllowed, CUT_OFF_BAN_DURATION, keepsAnAdmin } from './rules/roster.ts';
import { MEMBERS_MAX_BODY_BYTES, membersSchema, type ParsedMembersRequest } from './schema.ts';
import {
  acceptPending, expireLapsed, insertInvitation, lockAddress, lockInvitation, markResent, markRevoked, pendingFor,
} from './store/invitations.ts';
import {
  deleteMembership, isMemberEmail, lockRoster, otherOrgCount, revokeSessions, setRole,
} from './store/roster.ts';

export interface MembersDeps {
  sql: Sql;
  auth: AuthAdmin;
  now?: () => Date;
  report?: ErrorReporter;
}

type Person = Caller & { userId: string };
type Req<A extends ParsedMembersRequest['action']> = Extract<ParsedMembersRequest, { action: A }>;

function invitationAudit(i: InvitationRecord): Record<string, string | number> {
  return { email: i.email, role: i.role, link_type: i.link_type, expires_at: new Date(i.expires_at).toISOString(), send_count: i.send_count };
}

async function invite(deps: MembersDeps, caller: Person, d: Req<'invite'>, now: Date): Promise<InvitationResult> {
  return deps.sql.begin(async (tx) => {
    await lockAddress(tx, d.org_id, d.email);
    await expireLapsed(tx, d.org_id, d.email);
    if (await isMemberEmail(tx, d.org_id, d.email)) {
      throw new HttpError('conflict', 'This address already belongs to a member of the organisation.', { reason: 'already_member' });
    }
    const open = await pendingFor(tx, d.org_id, d.email);
    if (open) throw new HttpError('conflict', 'This address has a pending invitation; resend or revoke it.', { reason: 'already_invited', invitation_id: open.id });
    const linkType = await deps.auth.sendInvitation({ email: d.email, redirectTo: d.redirect_to, name: d.name });
    const invitation = await insertInvitation(tx, {
      orgId: d.org_id, email: d.email, role: d.role, invitedBy: caller.userId, linkType, sentAt: now, expiresAt: invitationExpiry(now),
    });
    await writeAudit(tx, caller, { orgId: d.org_id, action: 'member.invite', targetType: 'invitation', targetId: invitation.id, before: null, after: invitationAudit(invitation) });
    return { invitation };
  });
}

/** Lock the org's invitation and check `action` may start from its listed status. */
async function lockFor(tx: TransactionSql, orgId: string, id: string, action: InvitationAction, now: Date): Promise<InvitationRecord> {
  const found = await lockInvitation(tx, orgId, id);
  if (!found) throw new HttpError('invitation_not_found', 'No such invitation.', { invitation_id: id });
  const status = effectiveStatus(found.status, new Date(found.expires_at), now);
  if (!invitationAllows(action, status)) {
    throw new HttpError('conflict', `The invitation is ${status}; it cannot be ${action === 'resend' ? 'resent' : `${action}d`}.`, { reason: 'invitation_state', current: status });
  }
  return { ...found, status };
}

async function resend(deps: MembersDeps, caller: Person, d: Req<'resend'>, now: Date): Promise<InvitationResult> {
  return deps.sql.begin(async (tx) => {
    const before = await lockFor(tx, d.org_id, d.invitation_id, 'resend', now);
    if (await isMemberEmail(tx, d.org_id, before.email)) {
      throw new HttpError('conflict', 'This address already belongs to a member of the organisation.', { reason: 'already_member' });
    }
    const linkType = await deps.auth.sendInvitation({ email: before.email, redirectTo: d.redirect_to });
    const invitation = await markResent(tx, before.id, linkType, now, invitationExpiry(now));
    await writeAudit(tx, caller, {
      orgId: d.org_id, action: 'member.invite.resend', targetType: 'invitation', targetId: invitation.id,
      before: { status: before.status, ...invitationAudit(before) }, after: { status: invitation.status, ...invitationAudit(invitation) },
    });
    return { invitation };
  });
}

async function revoke(deps: MembersDeps, caller: Person, d: Req<'revoke'>, now: Date): Promise<InvitationResult> {
  return deps.sql.begin(async (tx) => {
    const before = await lockFor(tx, d.org_id, d.invitation_id, 'revoke', now);
    const invitation = await markRevoked(tx, before.id);
    await writeAudit(tx, caller, {
      orgId: d.org_id, action: 'member.invite.revoke', targetType: 'invitation', targetId: invitation.id,
      before: { status: before.status, email: before.email, role: before.role }, after: { status: 'revoked' },
    });
    return { invitation };
  });
}

/** Lock the roster and find the member, or 404. */
async function lockMember(tx: TransactionSql, orgId: string, userId: string): Promise<{ roles: MemberRole[]; current: MemberRole }> {
  const roster = await lockRoster(tx, orgId);
  const target = roster.find((m) => m.user_id === userId);
  if (!target) throw new HttpError('member_not_found', 'No such member of the organisation.', { user_id: userId });
  return { roles: roster.map((m) => m.role), current: target.role };
}

async function changeRole(deps: MembersDeps, caller: Person, d: Req<'change_role'>, now: Date): Promise<RoleChangeResult> {
  return deps.sql.begin(async (tx) => {
    const { roles, current } = await lockMember(tx, d.org_id, d.user_id);
    const result = { org_id: d.org_id, user_id: d.user_id, before: current, role: d.role, effective_by: accessWindowEnds(now).toISOString() };
    if (current === d.role) return { ...result, changed: false };
    const verdict = keepsAnAdmin(roles, current, d.role);
    if (!verdict.ok) throw new HttpError('conflict', verdict.message, { reason: verdict.reason });
    await setRole(tx, d.org_id, d.user_id, d.role);
    await writeAudit(tx, caller, { orgId: d.org_id, action: 'member.role', targetType: 'membership', targetId: d.user_id, before: { role: current }, after: { role: d.role } });
    return { ...result, changed: true };
  });
}

async function remove(deps: MembersDeps, caller: Person, d: Req<'remove'>, now: Date): Promise<RemovalResult> {
  const cutOff = d.cut_off === true;
  return deps.sql.begin(async (tx) => {
    const { roles, current } = await lockMember(tx, d.org_id, d.user_id);
    const verdict = keepsAnAdmin(roles, current, null);
    if (!verdict.ok) throw new HttpError('conflict', verdict.message, { reason: verdict.reason });
    if (cutOff) {
      const allowed = cutOffAllowed(await otherOrgCount(tx, d.org_id, d.user_id));
      if (!allowed.ok) throw new HttpError('conflict', allowed.message, { reason: 'member_of_other_orgs' });
    }
    await deleteMembership(tx, d.org_id, d.user_id);
    const sessions = await revokeSessions(tx, d.user_id);
    // Last, so a failed ban rolls the removal back and the admin can retry.
    if (cutOff) await deps.auth.ban(d.user_id, CUT_OFF_BAN_DURATION);
    // With the cut-off the ban ends the token's reach at once (RLS: rls.token_account_active()).
    const windowEnds = cutOff ? null : accessWindowEnds(now).toISOString();
    await writeAudit(tx, caller, {
      orgId: d.org_id, action: 'member.remove', targetType: 'membership', targetId: d.user_id,
      before: { role: current }, after: { sessions_revoked: sessions, cut_off: cutOff, access_window_ends_at: windowEnds },
    });
    return { org_id: d.org_id, user_id: d.user_id, role: current, sessions_revoked: sessions, cut_off: cutOff, access_window_ends_at: windowEnds };
  });
}

/**
 * Signing in already accepts (the trigger on auth.users.last_sign_in_at); this explicit
 * step catches an invitation sent while the caller was signed in, by the same SQL.
 */
async function accept(deps: MembersDeps, caller: Person): Promise<AcceptResult> {
  return deps.sql.begin(async (tx) => ({ accepted: await acceptPending(tx, caller.userId, 'accept') }));
}

export function createMembersHandler(deps: MembersDeps): Handler {
  const clock = deps.now ?? (() => new Date());
  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in to manage a team.');
    if (caller.kind === 'service' || !caller.userId) throw new HttpError('forbidden', 'Team changes are made by a signed-in admin (they are audited by user).');
    await refuseBannedCaller(deps.sql, caller);
    const person = caller as Person;
    const parsed = membersSchema.safeParse(await readJsonBody(req, MEMBERS_MAX_BODY_BYTES));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    const d = parsed.data;
    if (d.action === 'accept') return jsonResponse(await accept(deps, person));
    requireOrgRole(person, d.org_id, 'admin');
    const now = clock();
    switch (d.action) {
      case 'invite': return jsonResponse(await invite(deps, person, d, now));
      case 'resend': return jsonResponse(await resend(deps, person, d, now));
      case 'revoke': return jsonResponse(await revoke(deps, person, d, now));
      case 'change_role': return jsonResponse(await changeRole(deps, person, d, now));
      case 'remove': return jsonResponse(await remove(deps, person, d, now));
    }
  }, deps.report);
}
