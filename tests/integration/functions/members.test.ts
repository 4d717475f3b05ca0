/**
 * The members function end to end with supabase-js against the embedded stack: Auth
 * sends the invitation (read from the mail catcher), the link signs the invitee in,
 * they set a password, accept, and their refreshed token carries the org role. Role
 * changes reach the token at its refresh; removal revokes refresh tokens; the cut-off
 * bans; the last admin stays; every change is in audit_log. The first flow goes
 * through the functions gateway on real Deno; the rest run the handler in-process
 * (as the decisions tests do) against the same database and Auth.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { supabaseAuthAdmin } from '../../../functions/members/auth-admin.ts';
import { createMembersHandler } from '../../../functions/members/handler.ts';
import { adminSql } from '../../support/db.ts';
import { addMember, createTestOrg, TEST_PASSWORD, type TestOrg } from '../../support/fixtures.ts';
import { anonToken, call, jsonRequest, serviceToken } from '../../support/functions.ts';
import { latestTo, messagesTo, openLink, verifyLink } from '../../support/inbox.ts';
import { insertStreamRows } from '../data-model/stream-rows.ts';
import { as, collector, insertHotspot, sleep, subscribed, type Change } from '../realtime/helpers.ts';

const stack = inject('stack');
const sql = adminSql(8);
const handler = createMembersHandler({ sql, auth: supabaseAuthAdmin(stack.apiUrl, stack.serviceRoleKey), report: (e) => console.error('MEMBERS', e) });
const members = (body: unknown, token: string) => call(handler, jsonRequest('http://local/functions/v1/members', body, token));
const REDIRECT = `${stack.apiUrl}/dashboard/set-password.html`;
const address = (label: string): string => `${label}-${randomUUID().slice(0, 8)}@mail.test`;

function client(): SupabaseClient {
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: WebSocket as never },
  });
}

async function signIn(email: string, password = TEST_PASSWORD): Promise<SupabaseClient> {
  const c = client();
  const { error } = await c.auth.signInWithPassword({ email, password });
  expect(error).toBeNull();
  return c;
}

async function tokenOf(c: SupabaseClient): Promise<string> {
  const { data } = await c.auth.getSession();
  return data.session!.access_token;
}
const orgRoles = async (c: SupabaseClient) => decodeJwt(await tokenOf(c))['org_roles'] as Record<string, string>;

/** A client signed in from a verify link's redirect fragment. */
async function followLink(link: string): Promise<SupabaseClient> {
  const landed = await openLink(link);
  expect(landed.status).toBe(303);
  expect(landed.location.startsWith(REDIRECT)).toBe(true);
  const c = client();
  const { error } = await c.auth.setSession({ access_token: landed.fragment.access_token!, refresh_token: landed.fragment.refresh_token! });
  expect(error).toBeNull();
  return c;
}

const audit = (orgId: string, action: string) => sql`
  select actor, action, target_type, target_id, before, after from public.audit_log where org_id = ${orgId} and action = ${action} order by id`;

let a: TestOrg;
let b: TestOrg;
let adminA: { id: string; email: string };
let adminB: { id: string; email: string };
let adminAClient: SupabaseClient;

beforeAll(async () => {
  a = await createTestOrg(sql, 'team-a');
  b = await createTestOrg(sql, 'team-b');
  adminA = await addMember(sql, a.id, 'admin');
  adminB = await addMember(sql, b.id, 'admin');
  adminAClient = await signIn(adminA.email);
});
afterAll(() => sql.end());

describe.skipIf(!stack.embedded)('members', () => {
  it('invite → email → link → set password → accept → sign-in: the token carries the org role (through Deno)', async () => {
    const email = address('newcomer');
    const invited = await adminAClient.functions.invoke('members', { body: { action: 'invite', org_id: a.id, email, role: 'operator', name: 'Nia', redirect_to: REDIRECT } });
    expect(invited.error).toBeNull();
    expect(invited.data.invitation).toMatchObject({ org_id: a.id, email, role: 'operator', status: 'pending', link_type: 'invite', invited_by: adminA.id, send_count: 1 });
    const ttl = new Date(invited.data.invitation.expires_at).getTime() - new Date(invited.data.invitation.sent_at).getTime();
    expect(ttl).toBe(3600_000);
    // No membership before the invitation is accepted.
    const [user] = await sql`select id from auth.users where email = ${email}`;
    expect(await sql`select 1 from public.memberships where user_id = ${user!.id}`).toHaveLength(0);

    const mail = await latestTo(email);
    expect(mail.Subject).toBe('You have been invited');
    const invitee = await followLink(verifyLink(mail));
    // The link's sign-in accepted the invitation (trigger on last_sign_in_at): the session it opened already carries the org.
    expect(await orgRoles(invitee)).toEqual({ [a.id]: 'operator' });
    expect((await invitee.auth.updateUser({ password: 'chosen-password-1' })).error).toBeNull();
    const accepted = await invitee.functions.invoke('members', { body: { action: 'accept' } });
    expect(accepted.error).toBeNull();
    expect(accepted.data.accepted).toEqual([]);

    const later = await signIn(email, 'chosen-password-1');
    expect(await orgRoles(later)).toEqual({ [a.id]: 'operator' });
    // Members read their org's list with names and emails (RLS on the JWT's org_roles).
    const { data: list, error } = await later.from('memberships').select('user_id, role, email, display_name').eq('org_id', a.id);
    expect(error).toBeNull();
    expect(list).toEqual(expect.arrayContaining([
      { user_id: user!.id, role: 'operator', email, display_name: 'Nia' },
      { user_id: adminA.id, role: 'admin', email: adminA.email, display_name: null },
    ]));
    const [status] = await sql`select status, accepted_by from public.invitation_list where id = ${invited.data.invitation.id}`;
    expect(status).toEqual({ status: 'accepted', accepted_by: user!.id });
    expect(await audit(a.id, 'member.invite')).toEqual(expect.arrayContaining([expect.objectContaining({ actor: adminA.id, target_id: invited.data.invitation.id })]));
    expect(await audit(a.id, 'member.accept')).toEqual(expect.arrayContaining([expect.objectContaining({
      actor: user!.id, target_type: 'membership', target_id: user!.id,
      after: { role: 'operator', invitation_id: invited.data.invitation.id, email, added: true, via: 'sign_in' },
    })]));
  });

  it('an existing account invited to a second org gets a sign-in link; signing in adds the org', async () => {
    const existing = b.operator; // a confirmed account, member of org B
    const r = await members({ action: 'invite', org_id: a.id, email: existing.email, role: 'viewer', redirect_to: REDIRECT }, await tokenOf(adminAClient));
    expect(r.status).toBe(200);
    expect(r.body.invitation).toMatchObject({ link_type: 'magiclink', status: 'pending' });
    const again = await members({ action: 'invite', org_id: a.id, email: existing.email.toUpperCase(), role: 'admin' }, await tokenOf(adminAClient));
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'conflict', reason: 'already_invited', invitation_id: r.body.invitation.id } } });

    const mail = await latestTo(existing.email);
    expect(mail.Subject).toBe('Your Magic Link');
    const signedIn = await followLink(verifyLink(mail));
    // Signing in through the link accepted it: the new session's token carries both orgs.
    expect(await orgRoles(signedIn)).toEqual({ [b.id]: 'operator', [a.id]: 'viewer' });
    expect(await sql`select status from public.invitations where id = ${r.body.invitation.id}`).toEqual([{ status: 'accepted' }]);
    // The explicit step finds nothing left; inviting a member is a conflict.
    expect((await members({ action: 'accept' }, await tokenOf(signedIn))).body.accepted).toEqual([]);
    const member = await members({ action: 'invite', org_id: a.id, email: existing.email, role: 'viewer' }, await tokenOf(adminAClient));
    expect(member).toMatchObject({ status: 409, body: { error: { reason: 'already_member' } } });
  });

  it('a plain password sign-in accepts a live invitation; expired and revoked ones stay unaccepted', async () => {
    const x = await addMember(sql, b.id, 'viewer'); // an existing account, member of org B
    const live = await members({ action: 'invite', org_id: a.id, email: x.email, role: 'operator', redirect_to: REDIRECT }, await tokenOf(adminAClient));
    expect(live.body.invitation).toMatchObject({ link_type: 'magiclink', status: 'pending' });
    // Two more orgs whose invitations to x are no longer live (rows as the function leaves them).
    const revokedOrg = await createTestOrg(sql, 'team-revoked');
    const expiredOrg = await createTestOrg(sql, 'team-expired');
    await sql`insert into public.invitations (org_id, email, role, link_type, status, revoked_at, expires_at)
              values (${revokedOrg.id}, ${x.email}, 'admin', 'magiclink', 'revoked', now(), now() + interval '1 hour')`;
    await sql`insert into public.invitations (org_id, email, role, link_type, sent_at, expires_at)
              values (${expiredOrg.id}, ${x.email}, 'admin', 'magiclink', now() - interval '2 hours', now() - interval '1 hour')`;

    // No link followed: the password sign-in itself accepts, and its token already carries the org.
    const c = await signIn(x.email);
    expect(await orgRoles(c)).toEqual({ [b.id]: 'viewer', [a.id]: 'operator' });
    expect(await sql`select org_id, status, accepted_by from public.invitations where email = ${x.email} order by status`).toEqual(expect.arrayContaining([
      { org_id: a.id, status: 'accepted', accepted_by: x.id },
      { org_id: revokedOrg.id, status: 'revoked', accepted_by: null },
      { org_id: expiredOrg.id, status: 'pending', accepted_by: null },
    ]));
    expect(await sql`select org_id from public.memberships where user_id = ${x.id} order by org_id`).toHaveLength(2);
    expect(await audit(a.id, 'member.accept')).toEqual(expect.arrayContaining([expect.objectContaining({
      actor: x.id, target_type: 'membership', target_id: x.id,
      after: { role: 'operator', invitation_id: live.body.invitation.id, email: x.email, added: true, via: 'sign_in' },
    })]));
    expect(await audit(revokedOrg.id, 'member.accept')).toEqual([]);
    expect(await audit(expiredOrg.id, 'member.accept')).toEqual([]);
    // Signing in again accepts nothing more (one accept row for this invitation).
    await signIn(x.email);
    expect((await audit(a.id, 'member.accept')).filter((r) => r.target_id === x.id)).toHaveLength(1);
  });

  it('a role change reaches the token at its next refresh', async () => {
    const m = await addMember(sql, a.id, 'operator');
    const c = await signIn(m.email);
    expect(await orgRoles(c)).toEqual({ [a.id]: 'operator' });
    const r = await members({ action: 'change_role', org_id: a.id, user_id: m.id, role: 'viewer' }, await tokenOf(adminAClient));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ before: 'operator', role: 'viewer', changed: true });
    expect(await orgRoles(c)).toEqual({ [a.id]: 'operator' }); // the current token is unchanged
    expect((await c.auth.refreshSession()).error).toBeNull();
    expect(await orgRoles(c)).toEqual({ [a.id]: 'viewer' });
    expect(await audit(a.id, 'member.role')).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: adminA.id, target_id: m.id, before: { role: 'operator' }, after: { role: 'viewer' } }),
    ]));
    const same = await members({ action: 'change_role', org_id: a.id, user_id: m.id, role: 'viewer' }, await tokenOf(adminAClient));
    expect(same.body.changed).toBe(false);
  });

  it('removal deletes the membership and revokes refresh; the current token keeps its window', async () => {
    const m = await addMember(sql, a.id, 'operator');
    const c = await signIn(m.email);
    const before = Date.now();
    const r = await members({ action: 'remove', org_id: a.id, user_id: m.id }, await tokenOf(adminAClient));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'operator', sessions_revoked: 1, cut_off: false });
    const windowMs = new Date(r.body.access_window_ends_at).getTime() - before;
    expect(windowMs).toBeGreaterThanOrEqual(3590_000);
    expect(windowMs).toBeLessThanOrEqual(3660_000);
    expect(await sql`select 1 from public.memberships where org_id = ${a.id} and user_id = ${m.id}`).toHaveLength(0);
    const refreshed = await c.auth.refreshSession();
    expect(refreshed.error?.code).toBe('refresh_token_not_found');
    // The access token issued before still carries the org until it expires (the window the dashboard shows).
    const { data } = await c.from('orgs').select('id').eq('id', a.id);
    expect(data).toEqual([{ id: a.id }]);
    // Signing in again gives a token without the org.
    expect(await orgRoles(await signIn(m.email))).toEqual({});
    expect(await audit(a.id, 'member.remove')).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor: adminA.id, target_id: m.id, before: { role: 'operator' }, after: expect.objectContaining({ cut_off: false, sessions_revoked: 1 }) }),
    ]));
    const gone = await members({ action: 'remove', org_id: a.id, user_id: m.id }, await tokenOf(adminAClient));
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'member_not_found' } } });
  });

  it('the cut-off bans a member of no other org at once, and is refused for a member of another org', async () => {
    const m = await addMember(sql, a.id, 'viewer');
    const c = await signIn(m.email);
    const r = await members({ action: 'remove', org_id: a.id, user_id: m.id, cut_off: true }, await tokenOf(adminAClient));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ cut_off: true, access_window_ends_at: null });
    expect((await c.auth.getUser()).error?.status).toBe(403);
    expect((await c.auth.refreshSession()).error).not.toBeNull();
    const again = await client().auth.signInWithPassword({ email: m.email, password: TEST_PASSWORD });
    expect(again.error?.code).toBe('user_banned');

    const both = await addMember(sql, a.id, 'viewer');
    await sql`insert into public.memberships (org_id, user_id, role) values (${b.id}, ${both.id}, 'viewer')`;
    const refused = await members({ action: 'remove', org_id: a.id, user_id: both.id, cut_off: true }, await tokenOf(adminAClient));
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'conflict', reason: 'member_of_other_orgs' } } });
    expect(await sql`select 1 from public.memberships where org_id = ${a.id} and user_id = ${both.id}`).toHaveLength(1);
  });

  it('with the cut-off, the unexpired token reads nothing over REST and Realtime delivers it nothing more; without it, the window stays', async () => {
    const org = await createTestOrg(sql, 'team-cut');
    const admin = await signIn((await addMember(sql, org.id, 'admin')).email);
    await insertStreamRows(sql, org.id, 'cut-1');
    const cut = await addMember(sql, org.id, 'viewer');
    const kept = await addMember(sql, org.id, 'viewer');
    const [cutClient, keptClient, control] = await Promise.all([signIn(cut.email), signIn(kept.email), signIn(org.operator.email)]);
    const binding = { event: 'INSERT', schema: 'public', table: 'hotspots', filter: `org_id=eq.${org.id}` } as const;
    const seen = { cut: collector<Change>(), kept: collector<Change>(), control: collector<Change>() };
    await Promise.all([
      subscribed(cutClient.channel('cut-off-cut').on('postgres_changes', binding, as(seen.cut.push))),
      subscribed(keptClient.channel('cut-off-kept').on('postgres_changes', binding, as(seen.kept.push))),
      subscribed(control.channel('cut-off-control').on('postgres_changes', binding, as(seen.control.push))),
    ]);
    const reads = async (c: SupabaseClient) => {
      const [h, al] = await Promise.all([c.from('hotspots').select('id').eq('org_id', org.id), c.from('alerts').select('id').eq('org_id', org.id)]);
      expect(h.error).toBeNull();
      expect(al.error).toBeNull();
      return { hotspots: h.data!.length, alerts: al.data!.length };
    };
    expect(await reads(cutClient)).toEqual({ hotspots: 1, alerts: 1 });
    await insertHotspot(sql, org.id, 'cut-before');
    await Promise.all([seen.cut.wait(1), seen.kept.wait(1), seen.control.wait(1)]);

    const token = await tokenOf(admin);
    const cutOff = await members({ action: 'remove', org_id: org.id, user_id: cut.id, cut_off: true }, token);
    expect(cutOff).toMatchObject({ status: 200, body: { cut_off: true, access_window_ends_at: null } });
    const plain = await members({ action: 'remove', org_id: org.id, user_id: kept.id }, token);
    expect(plain).toMatchObject({ status: 200, body: { cut_off: false } });

    // The cut-off member's access token is still well-formed, signed and an hour from expiry…
    const claims = decodeJwt(await tokenOf(cutClient));
    expect(claims['exp']! * 1000).toBeGreaterThan(Date.now() + 3000_000);
    expect(claims['org_roles']).toEqual({ [org.id]: 'viewer' });
    // …yet REST reads nothing at once, while the plainly removed member keeps the documented window.
    expect(await reads(cutClient)).toEqual({ hotspots: 0, alerts: 0 });
    expect(await reads(keptClient)).toEqual({ hotspots: 2, alerts: 1 });
    // The functions, which write as the owner past RLS, refuse the banned account's token too.
    expect(await members({ action: 'accept' }, await tokenOf(cutClient))).toMatchObject({ status: 403, body: { error: { code: 'forbidden', reason: 'user_banned' } } });
    expect((await members({ action: 'accept' }, await tokenOf(keptClient))).status).toBe(200);

    const after = await insertHotspot(sql, org.id, 'cut-after');
    await Promise.all([seen.kept.wait(2), seen.control.wait(2)]);
    await sleep(1000); // the change has reached the others; give the cut-off subscriber's copy time to (not) arrive
    expect(seen.control.items[1]!.new.id).toBe(after);
    expect(seen.kept.items[1]!.new.id).toBe(after);
    expect(seen.cut.items.map((p) => p.new.id)).toHaveLength(1);
    expect(seen.cut.items[0]!.new.id).not.toBe(after);
  });

  it('the last admin can be neither demoted nor removed', async () => {
    const solo = await createTestOrg(sql, 'team-solo');
    const admin = await addMember(sql, solo.id, 'admin');
    const token = await tokenOf(await signIn(admin.email));
    const demote = await members({ action: 'change_role', org_id: solo.id, user_id: admin.id, role: 'operator' }, token);
    expect(demote).toMatchObject({ status: 409, body: { error: { code: 'conflict', reason: 'last_admin' } } });
    const remove = await members({ action: 'remove', org_id: solo.id, user_id: admin.id }, token);
    expect(remove).toMatchObject({ status: 409, body: { error: { reason: 'last_admin' } } });
    expect(await sql`select role from public.memberships where org_id = ${solo.id} and user_id = ${admin.id}`).toEqual([{ role: 'admin' }]);
    // With a second admin, the first may step down.
    expect((await members({ action: 'change_role', org_id: solo.id, user_id: solo.operator.id, role: 'admin' }, token)).status).toBe(200);
    expect((await members({ action: 'change_role', org_id: solo.id, user_id: admin.id, role: 'viewer' }, token)).status).toBe(200);
    expect(await audit(solo.id, 'member.role')).toHaveLength(2);
  });

  it('two admins demoting each other at once: one wins, the other gets 409 last_admin', async () => {
    const duo = await createTestOrg(sql, 'team-duo');
    const x = await addMember(sql, duo.id, 'admin');
    const y = await addMember(sql, duo.id, 'admin');
    const [tx, ty] = await Promise.all([signIn(x.email).then(tokenOf), signIn(y.email).then(tokenOf)]);
    const results = await Promise.all([
      members({ action: 'change_role', org_id: duo.id, user_id: y.id, role: 'operator' }, tx),
      members({ action: 'change_role', org_id: duo.id, user_id: x.id, role: 'operator' }, ty),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const admins = await sql`select user_id from public.memberships where org_id = ${duo.id} and role = 'admin'`;
    expect(admins).toHaveLength(1);
  });

  it('resend renews an expired invitation; revoke ends it; a revoked invitation is not accepted', async () => {
    const email = address('lapsed');
    const token = await tokenOf(adminAClient);
    const r = await members({ action: 'invite', org_id: a.id, email, role: 'viewer', redirect_to: REDIRECT }, token);
    const id = r.body.invitation.id as string;
    await sql`update public.invitations set sent_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' where id = ${id}`;
    expect(await sql`select status from public.invitation_list where id = ${id}`).toEqual([{ status: 'expired' }]);
    const resent = await members({ action: 'resend', org_id: a.id, invitation_id: id, redirect_to: REDIRECT }, token);
    expect(resent.body.invitation).toMatchObject({ status: 'pending', send_count: 2, link_type: 'invite' });
    expect(new Date(resent.body.invitation.expires_at).getTime()).toBeGreaterThan(Date.now() + 3500_000);
    await messagesTo(email, 2);
    const revoked = await members({ action: 'revoke', org_id: a.id, invitation_id: id }, token);
    expect(revoked.body.invitation.status).toBe('revoked');
    expect(await members({ action: 'revoke', org_id: a.id, invitation_id: id }, token)).toMatchObject({ status: 409, body: { error: { reason: 'invitation_state', current: 'revoked' } } });
    const invitee = await followLink(verifyLink(await latestTo(email, 2)));
    expect((await members({ action: 'accept' }, await tokenOf(invitee))).body.accepted).toEqual([]);
    expect((await audit(a.id, 'member.invite.resend')).some((x) => x.target_id === id)).toBe(true);
    expect((await audit(a.id, 'member.invite.revoke')).some((x) => x.target_id === id)).toBe(true);
    // Another org's id is not found.
    expect((await members({ action: 'revoke', org_id: a.id, invitation_id: randomUUID() }, token)).body.error.code).toBe('invitation_not_found');
  });

  it('only admins: viewer/operator 403, another org\'s admin 404, anon 401, service role 403, bad body 400', async () => {
    const body = { action: 'invite', org_id: a.id, email: address('x'), role: 'viewer' };
    expect((await members(body, await tokenOf(await signIn(a.viewer.email)))).status).toBe(403);
    expect((await members(body, await tokenOf(await signIn(a.operator.email)))).status).toBe(403);
    const other = await members(body, await tokenOf(await signIn(adminB.email)));
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'org_not_found' } } });
    expect((await members(body, await anonToken())).status).toBe(401);
    expect((await members(body, await serviceToken())).status).toBe(403);
    const bad = await members({ action: 'invite', org_id: a.id, email: 'nope', role: 'owner', extra: 1 }, await tokenOf(adminAClient));
    expect(bad.status).toBe(400);
    expect(bad.body.error.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'extra', 'role']);
    expect(await sql`select 1 from public.invitations where email = 'nope'`).toHaveLength(0);
  });

  it('RLS: members read the member list; only admins read invitations', async () => {
    const viewer = await signIn(a.viewer.email);
    const list = await viewer.from('memberships').select('email, role').eq('org_id', a.id);
    expect(list.data!.map((m) => m.email)).toEqual(expect.arrayContaining([a.viewer.email, a.operator.email, adminA.email]));
    expect((await viewer.from('invitations').select('id')).data).toEqual([]);
    expect((await viewer.from('invitation_list').select('id')).data).toEqual([]);
    const adminInvites = await adminAClient.from('invitation_list').select('org_id, status');
    expect(adminInvites.data!.length).toBeGreaterThan(0);
    expect(adminInvites.data!.every((i) => i.org_id === a.id)).toBe(true);
    const otherAdmin = await signIn(adminB.email);
    expect((await otherAdmin.from('invitation_list').select('id').eq('org_id', a.id)).data).toEqual([]);
    expect((await otherAdmin.from('memberships').select('user_id').eq('org_id', a.id)).data).toEqual([]);
    const write = await adminAClient.from('invitations').insert({ org_id: a.id, email: 'w@mail.test', role: 'admin', link_type: 'invite', expires_at: new Date(Date.now() + 1e6).toISOString() });
    expect(write.error).not.toBeNull();
  });
});
