import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startAuthVariant, type AuthVariant } from '../../support/auth-variant.ts';
import { adminSql } from '../../support/db.ts';
import { latestTo, messagesTo, openLink, verifyLink } from '../../support/inbox.ts';

/** Sign-up and email settings of supabase/config.toml, each on the real Auth service started with that config. */

const stack = inject('stack');
const sql = adminSql(1);
afterAll(() => sql.end());
const address = (label: string): string => `${label}-${randomUUID().slice(0, 8)}@mail.test`;

function client(url: string): SupabaseClient {
  return createClient(url, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: { transport: WebSocket as never },
  });
}

const BASE = `
[auth]
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = ["https://app.example.com/**", "https://*.preview.example.com/auth"]
minimum_password_length = 8
enable_signup = true
`;
/** Confirmations on, one email of a kind per user a minute. */
const CONFIRMING = `${BASE}[auth.email]\nenable_confirmations = true\nmax_frequency = "60s"\n`;

/** The Auth service started with `toml` for the enclosing describe block; returns its API URL. */
function authWith(toml: string, files?: Record<string, string>): () => string {
  let auth: AuthVariant | undefined;
  beforeAll(async () => { auth = await startAuthVariant(toml, files); });
  afterAll(() => auth?.stop());
  return () => auth!.apiUrl;
}

describe.skipIf(!stack.embedded)('sign-up with confirmations off ([auth.email] enable_confirmations = false)', () => {
  const url = authWith(`${BASE}[auth.email]\nenable_confirmations = false\n`);

  it('returns a session at once, refuses a second sign-up and weak passwords as Auth does', async () => {
    const email = address('instant');
    const { data, error } = await client(url()).auth.signUp({ email, password: 'long-enough-1', options: { data: { team: 'blue' } } });
    expect(error).toBeNull();
    expect(data.session?.access_token).toBeDefined();
    expect(data.user).toMatchObject({ email, user_metadata: { team: 'blue' }, app_metadata: { provider: 'email', providers: ['email'] } });
    expect(data.user?.email_confirmed_at).toBeDefined();
    await expect(messagesTo(email, 1, 500)).rejects.toThrow(); // nothing to confirm, nothing sent

    const again = await client(url()).auth.signUp({ email, password: 'long-enough-1' });
    expect(again.error?.status).toBe(422);
    expect(again.error?.code).toBe('user_already_exists');
    expect(again.error?.message).toBe('User already registered');
    const weak = await client(url()).auth.signUp({ email: address('weak'), password: 'short' });
    expect(weak.error?.status).toBe(422);
    expect(weak.error?.code).toBe('weak_password');
    expect(weak.error?.message).toBe('Password should be at least 8 characters.');
    expect((weak.error as { reasons?: string[] }).reasons).toEqual(['length']);
  });
});

describe.skipIf(!stack.embedded)('sign-up refused by the email provider ([auth.email] enable_signup = false)', () => {
  const url = authWith(`${BASE}[auth.email]\nenable_signup = false\n`);

  it('answers 400 email_provider_disabled (as current Auth\'s signup.go)', async () => {
    const { error } = await client(url()).auth.signUp({ email: address('noemail'), password: 'long-enough-1' });
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('email_provider_disabled');
    expect(error?.message).toBe('Email signups are disabled');
    const signIn = await client(url()).auth.signInWithPassword({ email: 'operator@northside.demo', password: 'hotwatch-demo' });
    expect(signIn.error?.status).toBe(400);
    expect(signIn.error?.code).toBe('email_provider_disabled');
    expect(signIn.error?.message).toBe('Email logins are disabled');
  });
});

describe.skipIf(!stack.embedded)('sign-up with confirmations on and a custom template', () => {
  const url = authWith(`${CONFIRMING}[auth.email.template.confirmation]
subject = "Welcome aboard, {{ .Email }}"
content_path = "./supabase/templates/confirm.html"
[auth.rate_limit]
email_sent = 100
`, { 'supabase/templates/confirm.html': '<p>Hi {{ .Data.name }}, <a href="{{ .ConfirmationURL }}">confirm</a> (code {{ .Token }}).</p>' });

  it('sends the configured confirmation email; its link lands on an allowed redirect signed in', async () => {
    const email = address('confirm');
    const c = client(url());
    const { data, error } = await c.auth.signUp({ email, password: 'long-enough-1', options: { data: { name: 'Cleo' }, emailRedirectTo: 'https://app.example.com/welcome?from=mail' } });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user?.email_confirmed_at).toBeUndefined();
    expect(data.user?.confirmation_sent_at).toBeDefined();
    const mail = await latestTo(email);
    expect(mail.Subject).toBe(`Welcome aboard, ${email}`);
    expect(mail.HTML).toMatch(/^<p>Hi Cleo, <a href="[^"]+">confirm<\/a> \(code \d{6}\)\.<\/p>/);
    const link = verifyLink(mail);
    expect(link.startsWith(`${url()}/auth/v1/verify?token=`)).toBe(true);
    expect((await c.auth.signInWithPassword({ email, password: 'long-enough-1' })).error?.code).toBe('email_not_confirmed');

    const landed = await openLink(link);
    expect(landed.location.startsWith('https://app.example.com/welcome?from=mail#')).toBe(true);
    expect(landed.fragment).toMatchObject({ type: 'signup', token_type: 'bearer' });
    expect((await c.auth.signInWithPassword({ email, password: 'long-enough-1' })).error).toBeNull();

    // A confirmed address signing up again gets a look-alike user and no session (no account oracle).
    const again = await client(url()).auth.signUp({ email, password: 'long-enough-1' });
    expect(again.error).toBeNull();
    expect(again.data.session).toBeNull();
    expect(again.data.user?.id).not.toBe(data.user?.id);
  });

  it('matches additional_redirect_urls as globs and sends anything else to site_url', async () => {
    const cases: Array<[string, string]> = [
      ['https://pr-7.preview.example.com/auth', 'https://pr-7.preview.example.com/auth'],
      ['https://a.b.preview.example.com/auth', 'http://127.0.0.1:3000'], // `*` stays within one label
      ['https://evil.example.com/app.example.com/', 'http://127.0.0.1:3000'],
      ['http://127.0.0.1:9999/any', 'http://127.0.0.1:9999/any'], // loopback is always allowed
    ];
    for (const [wanted, expected] of cases) {
      const email = address('redirect');
      expect((await client(url()).auth.signUp({ email, password: 'long-enough-1', options: { emailRedirectTo: wanted } })).error).toBeNull();
      expect(new URL(verifyLink(await latestTo(email))).searchParams.get('redirect_to')).toBe(expected);
    }
  });
});

describe.skipIf(!stack.embedded)('email rate limits ([auth.email] max_frequency, [auth.rate_limit] email_sent)', () => {
  const url = authWith(`${CONFIRMING}[auth.rate_limit]\nemail_sent = 3\n`);

  it('answers 429: a resend within max_frequency, then past the project\'s email budget', async () => {
    const first = address('budget');
    const c = client(url());
    expect((await c.auth.signUp({ email: first, password: 'long-enough-1' })).error).toBeNull();
    const resend = await c.auth.resend({ type: 'signup', email: first });
    expect(resend.error?.status).toBe(429);
    expect(resend.error?.code).toBe('over_email_send_rate_limit');
    expect(resend.error?.message).toMatch(/^For security purposes, you can only request this after (59|60) seconds\.$/);
    expect((await c.auth.signUp({ email: address('budget'), password: 'long-enough-1' })).error).toBeNull();
    expect((await c.auth.signUp({ email: address('budget'), password: 'long-enough-1' })).error).toBeNull();
    const over = await c.auth.signUp({ email: address('budget'), password: 'long-enough-1' });
    expect(over.error?.status).toBe(429);
    expect(over.error?.code).toBe('over_email_send_rate_limit');
    expect(over.error?.message).toBe('email rate limit exceeded');
    expect(over.data.user).toBeNull();
    // The refused sign-up's user was rolled back with it.
    const [{ n }] = await sql<[{ n: number }]>`select count(*)::int as n from auth.users where email like 'budget-%' and confirmation_sent_at is null`;
    expect(n).toBe(0);
  });
});

describe.skipIf(!stack.embedded)('password change with [auth.email] secure_password_change = true', () => {
  const url = authWith(`${BASE}[auth.email]\nenable_confirmations = true\nsecure_password_change = true\n`);

  it('asks an old session for the emailed reauthentication code, then accepts it once', async () => {
    const admin = createClient(stack.apiUrl, stack.serviceRoleKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } });
    const email = address('reauth');
    const created = await admin.auth.admin.createUser({ email, password: 'first-password-1', email_confirm: true });
    expect(created.error).toBeNull();
    const c = client(url());
    expect((await c.auth.signInWithPassword({ email, password: 'first-password-1' })).error).toBeNull();
    expect((await c.auth.updateUser({ password: 'second-password-2' })).error).toBeNull(); // a fresh session needs no code

    await sql`update auth.sessions set created_at = now() - interval '25 hours' where user_id = ${created.data.user!.id}`;
    const needed = await c.auth.updateUser({ password: 'third-password-3' });
    expect(needed.error?.status).toBe(400);
    expect(needed.error?.code).toBe('reauthentication_needed');
    const guessed = await c.auth.updateUser({ password: 'third-password-3', nonce: '123456' });
    expect(guessed.error?.status).toBe(422);
    expect(guessed.error?.code).toBe('reauthentication_not_valid');

    expect((await c.auth.reauthenticate()).error).toBeNull();
    const mail = await latestTo(email);
    expect(mail.Subject).toBe('Confirm reauthentication');
    const code = /Enter the code: (\d{6})/.exec(mail.HTML)?.[1];
    expect(code).toBeDefined();
    expect((await c.auth.updateUser({ password: 'third-password-3', nonce: code })).error).toBeNull();
    expect((await client(url()).auth.signInWithPassword({ email, password: 'third-password-3' })).error).toBeNull();
    const reused = await c.auth.updateUser({ password: 'fourth-password-4', nonce: code });
    expect(reused.error?.code).toBe('reauthentication_not_valid');
  });
});
