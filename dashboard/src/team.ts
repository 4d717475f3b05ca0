/**
 * The Team page (admins): the org's members with their roles, an invite form, the
 * pending and expired invitations with resend/revoke, and removal — which says how long
 * the removed person's current session may still read the org (their access token
 * lives until it expires; the `members` function revokes its refresh), with an
 * immediate cut-off for someone who belongs to no other org. Every change is made and
 * audited by the `members` edge function; this page only asks and shows.
 */
import { h, replace } from './dom.ts';
import { errorMessage } from './errors.ts';
import { display } from './org-display.ts';
import type { TeamApi, TeamInvitation, TeamMember } from './team-api.ts';
import type { Role } from './types.ts';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** On the org's clock (its settings' time zone), as the board shows times. */
const timeOf = (iso: string): string => display.time(iso);

function roleSelect(id: string, label: string, value: Role): HTMLSelectElement {
  const sel = h('select', { id, 'aria-label': label }, ...ROLES.map((r) => {
    const o = h('option', { value: r }, r);
    o.selected = r === value;
    return o;
  }));
  return sel;
}

export function teamPageView(ctx: { team: TeamApi; orgId: string; orgName: string; selfId: string }): HTMLElement {
  const { team, orgId } = ctx;
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'team-status' });
  const failure = h('p', { class: 'notice notice-error', role: 'alert', id: 'team-error' });
  const membersBody = h('tbody');
  const invitesBody = h('tbody');
  const invitesEmpty = h('p', { class: 'muted small' }, 'No pending invitations.');

  const say = (msg: string): void => { failure.textContent = ''; status.textContent = msg; };
  const fail = (e: unknown): void => { failure.textContent = errorMessage(e); };

  /** Run a change, then reload both lists. */
  const act = async (button: HTMLButtonElement | null, work: () => Promise<string>): Promise<void> => {
    if (button) button.disabled = true;
    try {
      say(await work());
      await load();
    } catch (e) {
      fail(e);
    } finally {
      if (button) button.disabled = false;
    }
  };

  const memberRow = (m: TeamMember): HTMLTableRowElement => {
    const who = m.display_name ? `${m.display_name} (${m.email ?? m.user_id})` : (m.email ?? m.user_id);
    const sel = roleSelect(`role-${m.user_id}`, `Role of ${who}`, m.role);
    const save = h('button', { type: 'button', class: 'btn' }, 'Change role');
    save.setAttribute('aria-label', `Change role of ${who}`);
    save.addEventListener('click', () => void act(save, async () => {
      const r = await team.changeRole(orgId, m.user_id, sel.value as Role);
      return r.changed
        ? `${who} is now ${r.role}. It takes effect when their session next refreshes (by ${timeOf(r.effective_by)} at the latest).`
        : `${who} is already ${r.role}.`;
    }));
    const cut = h('input', { type: 'checkbox', id: `cutoff-${m.user_id}` });
    const remove = h('button', { type: 'button', class: 'btn btn-danger' }, 'Remove');
    remove.setAttribute('aria-label', `Remove ${who}`);
    remove.addEventListener('click', () => void act(remove, async () => {
      const r = await team.remove(orgId, m.user_id, cut.checked);
      return r.cut_off
        ? `Removed ${who} and cut them off: the account is banned, and the token they hold reads nothing from now on.`
        : `Removed ${who}. Their sessions were signed out, but the access token they hold may still read this organisation until ${timeOf(r.access_window_ends_at!)} (tokens last an hour).`;
    }));
    return h('tr', { 'data-user-id': m.user_id },
      h('td', {}, m.display_name ?? ''),
      h('td', {}, m.email ?? ''),
      h('td', {}, sel, ' ', save, m.user_id === ctx.selfId ? h('span', { class: 'muted small' }, ' (you)') : null),
      h('td', {}, h('span', { class: 'cutoff' }, cut, h('label', { for: `cutoff-${m.user_id}` }, ' Cut off at once (bans the account; only if they belong to no other organisation)')), ' ', remove));
  };

  const inviteRow = (i: TeamInvitation): HTMLTableRowElement => {
    const resend = h('button', { type: 'button', class: 'btn' }, 'Resend');
    resend.setAttribute('aria-label', `Resend the invitation to ${i.email}`);
    resend.addEventListener('click', () => void act(resend, async () => {
      const r = await team.resend(orgId, i.id);
      return `Sent a new link to ${i.email}; it expires ${timeOf(r.invitation.expires_at)}.`;
    }));
    const revoke = h('button', { type: 'button', class: 'btn' }, 'Revoke');
    revoke.setAttribute('aria-label', `Revoke the invitation to ${i.email}`);
    revoke.addEventListener('click', () => void act(revoke, async () => {
      await team.revoke(orgId, i.id);
      return `Revoked the invitation to ${i.email}.`;
    }));
    return h('tr', { 'data-invitation-id': i.id },
      h('td', {}, i.email), h('td', {}, i.role),
      h('td', {}, i.status === 'expired' ? `expired ${timeOf(i.expires_at)}` : `pending, link expires ${timeOf(i.expires_at)}`),
      h('td', {}, resend, ' ', revoke));
  };

  async function load(): Promise<void> {
    try {
      const [members, invites] = await Promise.all([team.members(orgId), team.invitations(orgId)]);
      replace(membersBody, ...members.map(memberRow));
      replace(invitesBody, ...invites.map(inviteRow));
      invitesEmpty.hidden = invites.length > 0;
    } catch (e) {
      fail(e);
    }
  }

  const email = h('input', { id: 'invite-email', name: 'email', type: 'email', autocomplete: 'off', required: true });
  const role = roleSelect('invite-role', 'Role', 'viewer');
  role.removeAttribute('aria-label');
  const send = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send invitation');
  const form = h('form', { class: 'invite-form', 'aria-labelledby': 'invite-title' },
    h('h3', { id: 'invite-title' }, 'Invite someone'),
    h('label', { for: 'invite-email' }, 'Email'), email,
    h('label', { for: 'invite-role' }, 'Role'), role,
    send);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(send, async () => {
      const r = await team.invite(orgId, email.value.trim(), role.value as Role);
      email.value = '';
      return r.invitation.link_type === 'invite'
        ? `Invitation sent to ${r.invitation.email}. They join when they open the link and set a password.`
        : `${r.invitation.email} already has an account: they were sent a sign-in link and join when they sign in.`;
    });
  });

  void load();
  return h('section', { class: 'panel admin-page team-page', 'aria-labelledby': 'admin-title', 'data-admin-page': 'team' },
    h('h2', { id: 'admin-title', tabindex: -1 }, 'Team'),
    h('p', { class: 'muted small' }, `Administration of ${ctx.orgName}`),
    status, failure,
    h('table', { class: 'team-table' },
      h('caption', {}, 'Members'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Remove'))),
      membersBody),
    form,
    h('table', { class: 'team-table' },
      h('caption', {}, 'Invitations'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Actions'))),
      invitesBody),
    invitesEmpty);
}
