import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { adminSql } from '../../support/db.ts';
import { latestTo, messagesTo, openLink, otpCode, verifyLink } from '../../support/inbox.ts';

const stack = inject('stack');
const sql = adminSql();
afterAll(() => sql.end());

/** The project's site_url (supabase/config.toml): where links land without a valid redirect_to. */
const SITE_URL = 'http://127.0.0.1:54321/dashboard/';

function client(): SupabaseClient {
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: WebSocket as never },
  });
}
const admin = createClient(stack.apiUrl, stack.serviceRoleKey, {
  auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never },
});
const address = (label: string): string => `${label}-${randomUUID().slice(0, 8)}@mail.test`;

/** A client signed in with the session a verify redirect put in its fragment. */
async function sessionFrom(fragment: Record<string, string>): Promise<SupabaseClient> {
  expect(fragment.access_token).toBeDefined();
  expect(fragment.token_type).toBe('bearer');
  const c = client();
  const { error } = await c.auth.setSession({ access_token: fragment.access_token!, refresh_token: fragment.refresh_token! });
  expect(error).toBeNull();
  return c;
}

async function confirmedUser(label: string, password = 'first-password-1'): Promise<{ email: string; id: string; password: string }> {
  const email = address(label);
  const { data, error } = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  expect(error).toBeNull();
  return { email, id: data.user!.id, password };
}

describe.skipIf(!stack.embedded)('auth email flows (shared stack: sign-up off, confirmations on)', () => {
  it('refuses sign-up as hosted Auth does with [auth] enable_signup = false', async () => {
    const { data, error } = await client().auth.signUp({ email: address('nope'), password: 'long-enough-1' });
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('signup_disabled');
    expect(error?.message).toBe('Signups not allowed for this instance');
    expect(data.user).toBeNull();
    const raw = await fetch(`${stack.apiUrl}/auth/v1/signup`, {
      method: 'POST', headers: { apikey: stack.anonKey, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@mail.test', password: 'long-enough-1' }),
    });
    expect(raw.status).toBe(422);
    expect(await raw.json()).toEqual({ code: 422, error_code: 'signup_disabled', msg: 'Signups not allowed for this instance' });
    const settings = await (await fetch(`${stack.apiUrl}/auth/v1/settings`, { headers: { apikey: stack.anonKey } })).json();
    expect(settings).toMatchObject({ disable_signup: true, mailer_autoconfirm: false, external: { email: true } });
  });

  it('invite → email in the catcher → GET /verify lands signed in → updateUser sets a password → password sign-in', async () => {
    const email = address('invitee');
    const redirectTo = `${stack.apiUrl}/dashboard/welcome`;
    const { data, error } = await admin.auth.admin.inviteUserByEmail(email, { data: { display_name: 'Ivy' }, redirectTo });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email, user_metadata: { display_name: 'Ivy' } });
    expect(data.user?.invited_at).toBeDefined();
    expect(data.user?.email_confirmed_at).toBeUndefined();

    const mail = await latestTo(email);
    expect(mail.Subject).toBe('You have been invited');
    expect(mail.From.Address).toBe('admin@email.com');
    expect(mail.HTML).toContain(`You have been invited to create a user on ${SITE_URL.replace(/\/$/, '/')}`);
    const link = verifyLink(mail);
    expect(link).toMatch(new RegExp(`^${stack.apiUrl}/auth/v1/verify\\?token=[0-9a-f]{56}&type=invite&redirect_to=`));
    // Stored hashed: the row holds the link's sha224 token, never the 6-digit code.
    const token = new URL(link).searchParams.get('token')!;
    const [row] = await sql`select confirmation_token, (select token_hash from auth.one_time_tokens o where o.user_id = u.id and token_type = 'confirmation_token') as ott
                              from auth.users u where email = ${email}`;
    expect(row).toEqual({ confirmation_token: token, ott: token });
    expect(row!.confirmation_token).not.toContain(otpCode(mail));

    const landed = await openLink(link);
    expect(landed.status).toBe(303);
    expect(landed.location.startsWith(`${redirectTo}#`)).toBe(true);
    expect(landed.fragment).toMatchObject({ type: 'invite', token_type: 'bearer', expires_in: '3600' });
    expect(decodeJwt(landed.fragment.access_token!)).toMatchObject({ email, amr: [{ method: 'otp', timestamp: expect.any(Number) }] });

    const invitee = await sessionFrom(landed.fragment);
    const updated = await invitee.auth.updateUser({ password: 'chosen-password-1' });
    expect(updated.error).toBeNull();
    expect(updated.data.user?.email_confirmed_at).toBeDefined();
    const signIn = await client().auth.signInWithPassword({ email, password: 'chosen-password-1' });
    expect(signIn.error).toBeNull();
    expect(signIn.data.user?.id).toBe(data.user?.id);

    // The link was one-time.
    const again = await openLink(link);
    expect(again.fragment).toMatchObject({ error: 'access_denied', error_code: 'otp_expired', error_description: 'Email link is invalid or has expired' });
    expect(again.fragment.access_token).toBeUndefined();
  });

  it('refuses to invite an address with a confirmed account (422 email_exists)', async () => {
    const { email } = await confirmedUser('taken');
    const { error } = await admin.auth.admin.inviteUserByEmail(email);
    expect(error?.status).toBe(422);
    expect(error?.code).toBe('email_exists');
    expect(error?.message).toBe('A user with this email address has already been registered');
    const anon = await client().auth.admin.inviteUserByEmail(address('anon'));
    expect(anon.error?.status).toBe(403);
    expect(anon.error?.code).toBe('not_admin');
  });

  it('recovery: resetPasswordForEmail → link → session → new password works, old does not', async () => {
    const u = await confirmedUser('recover');
    const { error } = await client().auth.resetPasswordForEmail(u.email, { redirectTo: `${stack.apiUrl}/dashboard/reset` });
    expect(error).toBeNull();
    const mail = await latestTo(u.email);
    expect(mail.Subject).toBe('Reset Your Password');
    const landed = await openLink(verifyLink(mail));
    expect(landed.location.startsWith(`${stack.apiUrl}/dashboard/reset#`)).toBe(true);
    expect(landed.fragment.type).toBe('recovery');
    const c = await sessionFrom(landed.fragment);
    expect((await c.auth.updateUser({ password: 'second-password-2' })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email: u.email, password: 'second-password-2' })).error).toBeNull();
    const old = await client().auth.signInWithPassword({ email: u.email, password: u.password });
    expect(old.error?.code).toBe('invalid_credentials');
    // An unknown address answers the same (no account oracle) and sends nothing.
    const unknown = address('ghost');
    expect((await client().auth.resetPasswordForEmail(unknown)).error).toBeNull();
    await expect(messagesTo(unknown, 1, 500)).rejects.toThrow();
  });

  it('magic link and its code: signInWithOtp → link signs in; a second email\'s code works through verifyOtp', async () => {
    const u = await confirmedUser('magic');
    expect((await client().auth.signInWithOtp({ email: u.email, options: { shouldCreateUser: false } })).error).toBeNull();
    const mail = await latestTo(u.email);
    expect(mail.Subject).toBe('Your Magic Link');
    const landed = await openLink(verifyLink(mail));
    expect(landed.fragment.type).toBe('magiclink');
    expect(landed.location.startsWith(`${SITE_URL}#`)).toBe(true);
    await sessionFrom(landed.fragment);

    await new Promise((r) => setTimeout(r, 1_100)); // [auth.email] max_frequency = "1s"
    expect((await client().auth.signInWithOtp({ email: u.email })).error).toBeNull();
    const second = await latestTo(u.email, 2);
    const c = client();
    const wrong = await c.auth.verifyOtp({ email: u.email, token: '000000' === otpCode(second) ? '111111' : '000000', type: 'email' });
    expect(wrong.error?.status).toBe(403);
    expect(wrong.error?.code).toBe('otp_expired');
    expect(wrong.error?.message).toBe('Token has expired or is invalid');
    const ok = await c.auth.verifyOtp({ email: u.email, token: otpCode(second), type: 'email' });
    expect(ok.error).toBeNull();
    expect(ok.data.session?.user.email).toBe(u.email);

    const unknown = await client().auth.signInWithOtp({ email: address('stranger'), options: { shouldCreateUser: false } });
    expect(unknown.error?.status).toBe(422);
    expect(unknown.error?.code).toBe('otp_disabled');
  });

  it('email change with double confirmation: both links, then the new address signs in', async () => {
    const u = await confirmedUser('before');
    const c = client();
    expect((await c.auth.signInWithPassword({ email: u.email, password: u.password })).error).toBeNull();
    const next = address('after');
    const { data, error } = await c.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email: u.email, new_email: next });
    const toNew = await latestTo(next);
    const toCurrent = await latestTo(u.email);
    expect(toNew.Subject).toBe('Confirm Email Change');
    expect(toCurrent.HTML).toContain(`from ${u.email} to ${next}`);

    const first = await openLink(verifyLink(toCurrent));
    expect(first.fragment).toEqual({ message: 'Confirmation link accepted. Please proceed to confirm link sent to the other email' });
    const [mid] = await sql`select email from auth.users where id = ${u.id}`;
    expect(mid!.email).toBe(u.email);
    const second = await openLink(verifyLink(toNew));
    expect(second.fragment.type).toBe('email_change');
    const [after] = await sql`select email, email_change from auth.users where id = ${u.id}`;
    expect(after).toEqual({ email: next, email_change: '' });
    expect((await client().auth.signInWithPassword({ email: next, password: u.password })).error).toBeNull();
  });

  it('refuses expired links and foreign redirects', async () => {
    const u = await confirmedUser('expiry');
    expect((await client().auth.resetPasswordForEmail(u.email, { redirectTo: 'https://evil.example.com/steal' })).error).toBeNull();
    const mail = await latestTo(u.email);
    const link = verifyLink(mail);
    // The foreign redirect was dropped when the email was made: the link returns to site_url.
    expect(new URL(link).searchParams.get('redirect_to')).toBe(SITE_URL);
    // …and one added to the link by hand is ignored too.
    const foreign = new URL(link);
    foreign.searchParams.set('redirect_to', 'https://evil.example.com/steal');
    // [auth.email] otp_expiry = 3600: age the token past it.
    await sql`update auth.users set recovery_sent_at = now() - interval '3601 seconds' where id = ${u.id}`;
    const expired = await openLink(foreign.toString());
    expect(expired.location.startsWith(`${SITE_URL}#`)).toBe(true);
    expect(expired.fragment).toEqual({ error: 'access_denied', error_code: 'otp_expired', error_description: 'Email link is invalid or has expired' });
    const post = await fetch(`${stack.apiUrl}/auth/v1/verify`, {
      method: 'POST', headers: { apikey: stack.anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify({ type: 'recovery', token_hash: new URL(link).searchParams.get('token') }),
    });
    expect(post.status).toBe(403);
    expect(await post.json()).toEqual({ code: 'otp_expired', message: 'Email link is invalid or has expired' });
  });

  it('PKCE: a recovery link from a flowType pkce client redirects with ?code=, exchanged once for a session', async () => {
    const u = await confirmedUser('pkce');
    const c = createClient(stack.apiUrl, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false, flowType: 'pkce' }, realtime: { transport: WebSocket as never },
    });
    expect((await c.auth.resetPasswordForEmail(u.email, { redirectTo: `${stack.apiUrl}/dashboard/reset` })).error).toBeNull();
    const link = verifyLink(await latestTo(u.email));
    expect(new URL(link).searchParams.get('token')).toMatch(/^pkce_[0-9a-f]{56}$/);
    const landed = await openLink(link);
    const code = new URL(landed.location).searchParams.get('code');
    expect(landed.location.startsWith(`${stack.apiUrl}/dashboard/reset?code=`)).toBe(true);
    expect(landed.fragment).toEqual({});
    expect(code).toMatch(/^[0-9a-f-]{36}$/);

    const wrong = await fetch(`${stack.apiUrl}/auth/v1/token?grant_type=pkce`, {
      method: 'POST', headers: { apikey: stack.anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify({ auth_code: code, code_verifier: 'x'.repeat(43) }),
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ code: 'bad_code_verifier', message: 'code challenge does not match previously saved code verifier' });

    const events: string[] = [];
    c.auth.onAuthStateChange((e) => { events.push(e); });
    const { data, error } = await c.auth.exchangeCodeForSession(code!);
    expect(error).toBeNull();
    expect(data.session?.user.email).toBe(u.email);
    expect((data as { redirectType?: string | null }).redirectType).toBe('recovery');
    expect(events).toContain('PASSWORD_RECOVERY');
    expect(decodeJwt(data.session!.access_token).amr).toEqual([{ method: 'recovery', timestamp: expect.any(Number) }]);
    expect((await c.auth.updateUser({ password: 'pkce-password-3' })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email: u.email, password: 'pkce-password-3' })).error).toBeNull();

    const reused = await fetch(`${stack.apiUrl}/auth/v1/token?grant_type=pkce`, {
      method: 'POST', headers: { apikey: stack.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ auth_code: code, code_verifier: 'y'.repeat(43) }),
    });
    expect(reused.status).toBe(404);
    expect(await reused.json()).toMatchObject({ error_code: 'flow_state_not_found' });
  });

  it('logout scopes revoke the right refresh tokens', async () => {
    const u = await confirmedUser('scopes');
    const sessions = await Promise.all([1, 2, 3].map(async () => {
      const c = client();
      const { data } = await c.auth.signInWithPassword({ email: u.email, password: u.password });
      return { c, refresh: data.session!.refresh_token, access: data.session!.access_token };
    }));
    const [a, b, d] = sessions as [typeof sessions[0], typeof sessions[0], typeof sessions[0]];
    const refresh = async (token: string): Promise<number> => (await fetch(`${stack.apiUrl}/auth/v1/token?grant_type=refresh_token`, {
      method: 'POST', headers: { apikey: stack.anonKey, 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: token }),
    })).status;
    expect((await a.c.auth.signOut({ scope: 'others' })).error).toBeNull();
    expect(await refresh(b.refresh)).toBe(400);
    expect(await refresh(d.refresh)).toBe(400);
    const e = client();
    const { data } = await e.auth.signInWithPassword({ email: u.email, password: u.password });
    expect((await a.c.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect(await refresh(a.refresh)).toBe(400);
    expect(await refresh(data.session!.refresh_token)).toBe(200);
    const f = client();
    const fs = await f.auth.signInWithPassword({ email: u.email, password: u.password });
    expect((await f.auth.signOut({ scope: 'global' })).error).toBeNull();
    const [{ n }] = await sql<[{ n: number }]>`select count(*)::int as n from auth.sessions where user_id = ${u.id}`;
    expect(n).toBe(0);
    expect(await refresh(fs.data.session!.refresh_token)).toBe(400);
  });

  it('admin API: create, list, get, update, ban, unban, delete', async () => {
    const email = address('admin-made');
    const created = await admin.auth.admin.createUser({ email, password: 'admin-set-pw1', email_confirm: true, user_metadata: { a: 1 }, app_metadata: { tier: 'x' } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect(created.data.user).toMatchObject({ email, user_metadata: { a: 1 }, app_metadata: { provider: 'email', providers: ['email'], tier: 'x' } });
    expect(created.data.user?.email_confirmed_at).toBeDefined();
    const dup = await admin.auth.admin.createUser({ email, password: 'admin-set-pw1' });
    expect(dup.error?.code).toBe('email_exists');

    const list = await admin.auth.admin.listUsers({ page: 1, perPage: 1000 });
    expect(list.error).toBeNull();
    expect(list.data.users.some((x) => x.id === id)).toBe(true);
    expect((list.data as { total?: number }).total).toBeGreaterThan(0);
    const paged = await admin.auth.admin.listUsers({ page: 1, perPage: 1 });
    expect(paged.data.users).toHaveLength(1);
    expect((paged.data as { nextPage?: number | null }).nextPage).toBe(2);

    expect((await admin.auth.admin.getUserById(id)).data.user?.email).toBe(email);
    const upd = await admin.auth.admin.updateUserById(id, { user_metadata: { b: 2 }, ban_duration: '24h' });
    expect(upd.error).toBeNull();
    expect(upd.data.user?.user_metadata).toEqual({ a: 1, b: 2 });
    expect(Date.parse(String((upd.data.user as { banned_until?: string }).banned_until))).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const banned = await client().auth.signInWithPassword({ email, password: 'admin-set-pw1' });
    expect(banned.error?.code).toBe('user_banned');
    expect((await admin.auth.admin.updateUserById(id, { ban_duration: 'none' })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: 'admin-set-pw1' })).error).toBeNull();
    const badBan = await admin.auth.admin.updateUserById(id, { ban_duration: 'forever' });
    expect(badBan.error?.status).toBe(400);

    expect((await admin.auth.admin.deleteUser(id)).error).toBeNull();
    const gone = await admin.auth.admin.getUserById(id);
    expect(gone.error?.status).toBe(404);
    expect(gone.error?.code).toBe('user_not_found');
    const notAdmin = await client().auth.admin.listUsers();
    expect(notAdmin.error?.status).toBe(403);
  });

  it('generate_link returns the link and code without sending an email', async () => {
    const email = address('linked');
    const { data, error } = await admin.auth.admin.generateLink({ type: 'invite', email, options: { redirectTo: `${stack.apiUrl}/dashboard/x` } });
    expect(error).toBeNull();
    expect(data.properties).toMatchObject({ verification_type: 'invite', redirect_to: `${stack.apiUrl}/dashboard/x` });
    expect(data.properties?.email_otp).toMatch(/^\d{6}$/);
    expect(data.properties?.hashed_token).toMatch(/^[0-9a-f]{56}$/);
    expect(data.user?.email).toBe(email);
    await expect(messagesTo(email, 1, 500)).rejects.toThrow();
    const landed = await openLink(data.properties!.action_link);
    expect(landed.fragment.type).toBe('invite');
    await sessionFrom(landed.fragment);

    // type=email (a code's hash used as a link) resolves to the token's own kind, as Auth does.
    const viaEmailType = await admin.auth.admin.generateLink({ type: 'magiclink', email });
    const emailLink = new URL(viaEmailType.data.properties!.action_link);
    expect(emailLink.searchParams.get('type')).toBe('magiclink');
    emailLink.searchParams.set('type', 'email');
    expect((await openLink(emailLink.toString())).fragment.type).toBe('magiclink');

    const magic = await admin.auth.admin.generateLink({ type: 'magiclink', email });
    const c = client();
    const v = await c.auth.verifyOtp({ token_hash: magic.data.properties!.hashed_token, type: 'magiclink' });
    expect(v.error).toBeNull();
    expect(v.data.user?.email).toBe(email);
    const missing = await admin.auth.admin.generateLink({ type: 'recovery', email: address('none') });
    expect(missing.error?.status).toBe(404);
  });
});
