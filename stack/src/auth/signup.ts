import { createUser, confirmUser } from './accounts.ts';
import { checkPasswordStrength, obj, str, temporaryPassword, validateEmail, type AuthContext, type AuthRequest } from './context.ts';
import { sendConfirmation, sendEmailChange, sendRecoveryOrMagicLink } from './emails.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { issueSession, type TokenResponse } from './grants.ts';
import { authMethodOf, createFlowState, pkceParams, type Pkce } from './pkce.ts';
import { getReferrer } from './redirect.ts';
import { findUserByEmail, isConfirmed, userJson, type UserRow } from './users.ts';

/**
 * The public email endpoints of Supabase Auth (internal/api/signup.go, otp.go,
 * magic_link.go, recover.go, resend.go), email provider only.
 */

const referrer = (ctx: AuthContext, r: AuthRequest): string => getReferrer(ctx.settings, r.headers, r.url, r.params);

/** GoTrue's sanitizeUser: a look-alike answer for an address that is already registered. */
function sanitizedUser(email: string, data: Record<string, unknown>, aud: string): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(), aud, role: '', email, phone: '', confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: data, identities: [],
    created_at: now, updated_at: now, is_anonymous: false,
  };
}

/** POST /signup: a session at once with autoconfirm, else the user and a confirmation email. */
export async function signup(ctx: AuthContext, r: AuthRequest): Promise<TokenResponse | Record<string, unknown>> {
  const s = ctx.settings;
  if (!s.signupEnabled) throw new AuthError(422, AUTH_ERROR.signupDisabled, 'Signups not allowed for this instance');
  const email = str(r.params.email);
  const phone = str(r.params.phone);
  const password = str(r.params.password);
  const data = obj(r.params.data) ?? {};
  // validateSignupParams
  const pkce = pkceParams(r.params);
  if (password === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Signup requires a valid password');
  checkPasswordStrength(ctx, password);
  if (email !== '' && phone !== '') {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Only an email address or phone number should be provided on signup.');
  }
  if (phone !== '') throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Phone signups are disabled');
  if (email === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Sign up only available with email provider');
  // 400, not 422: current Auth's signup.go answers NewBadRequestError(ErrorCodeEmailProviderDisabled, …).
  if (!s.emailProviderEnabled) throw new AuthError(400, AUTH_ERROR.emailProviderDisabled, 'Email signups are disabled');
  const address = validateEmail(email);
  const existing = await findUserByEmail(ctx.sql, address, s.audience);
  if (existing && isConfirmed(existing)) {
    if (s.mailerAutoconfirm) throw new AuthError(422, AUTH_ERROR.userAlreadyExists, 'User already registered');
    return sanitizedUser(address, data, s.audience);
  }
  const hash = existing ? '' : await ctx.hashPassword(password);
  const redirect = referrer(ctx, r);
  return ctx.sql.begin(async (tx) => {
    let user = existing ?? await createUser(tx, { email: address, passwordHash: hash, data, aud: s.audience });
    if (s.mailerAutoconfirm) {
      user = await confirmUser(tx, user.id);
      return issueSession(ctx, tx, user, r.meta, 'password');
    }
    if (pkce) await createFlowState(tx, user.id, pkce, authMethodOf('signup'));
    user = await sendConfirmation(ctx, tx, user, redirect, pkce !== undefined);
    return userJson(user);
  });
}

/** A magic link or recovery email, after recording the PKCE flow state when the request carried a challenge. */
async function sendRecoveryEmail(ctx: AuthContext, user: UserRow, redirect: string, type: 'magiclink' | 'recovery', pkce: Pkce | undefined): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    if (pkce) await createFlowState(tx, user.id, pkce, authMethodOf(type));
    return sendRecoveryOrMagicLink(ctx, tx, user, redirect, type, pkce !== undefined);
  });
}

/** POST /magiclink (and /otp for email): new or unconfirmed addresses go through signup first. */
export async function magicLink(ctx: AuthContext, r: AuthRequest): Promise<Record<string, never>> {
  const s = ctx.settings;
  if (!s.emailProviderEnabled) throw new AuthError(400, AUTH_ERROR.emailProviderDisabled, 'Email logins are disabled');
  const email = validateEmail(str(r.params.email));
  const data = obj(r.params.data) ?? {};
  const pkce = pkceParams(r.params);
  const user = await findUserByEmail(ctx.sql, email, s.audience);
  if (!user || !isConfirmed(user)) {
    await signup(ctx, { ...r, params: { email, password: temporaryPassword(), data, code_challenge: r.params.code_challenge, code_challenge_method: r.params.code_challenge_method } });
    if (!s.mailerAutoconfirm) return {};
    // Signups are autoconfirmed: send the magic link after the signup, as GoTrue does.
  }
  const fresh = await findUserByEmail(ctx.sql, email, s.audience);
  if (!fresh) throw new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Database error finding user');
  const redirect = referrer(ctx, r);
  await sendRecoveryEmail(ctx, fresh, redirect, 'magiclink', pkce);
  return {};
}

/** POST /otp, email only: create_user false refuses unknown addresses (422 otp_disabled). */
export async function otp(ctx: AuthContext, r: AuthRequest): Promise<Record<string, never>> {
  const email = str(r.params.email);
  const phone = str(r.params.phone);
  if (email !== '' && phone !== '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Only an email address or phone number should be provided');
  if (phone !== '' || email === '') throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Unsupported phone provider');
  const createUserWanted = r.params.create_user === undefined ? true : r.params.create_user === true;
  if (!createUserWanted) {
    const known = await findUserByEmail(ctx.sql, validateEmail(email), ctx.settings.audience);
    if (!known) throw new AuthError(422, AUTH_ERROR.otpDisabled, 'Signups not allowed for otp');
  }
  return magicLink(ctx, r);
}

/** A request's required address (400 `missing` without one), its PKCE challenge, and its user if there is one. */
async function addressed(ctx: AuthContext, r: AuthRequest, missing: string): Promise<{ user: UserRow | undefined; pkce: Pkce | undefined }> {
  const raw = str(r.params.email);
  if (raw === '') throw new AuthError(400, AUTH_ERROR.validationFailed, missing);
  const email = validateEmail(raw);
  const pkce = pkceParams(r.params);
  return { user: await findUserByEmail(ctx.sql, email, ctx.settings.audience), pkce };
}

/** POST /recover: {} whether or not the address is known (no account oracle). */
export async function recover(ctx: AuthContext, r: AuthRequest): Promise<Record<string, never>> {
  const { user, pkce } = await addressed(ctx, r, 'Password recovery requires an email');
  if (!user) return {};
  const redirect = referrer(ctx, r);
  await sendRecoveryEmail(ctx, user, redirect, 'recovery', pkce);
  return {};
}

/** POST /resend {type: signup | email_change, email}. */
export async function resend(ctx: AuthContext, r: AuthRequest): Promise<Record<string, never>> {
  const type = str(r.params.type);
  if (!['signup', 'email_change', 'sms', 'phone_change'].includes(type)) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Missing one of these types: signup, email_change, sms, phone_change');
  }
  if (type === 'sms' || type === 'phone_change') throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Unsupported phone provider');
  const { user, pkce } = await addressed(ctx, r, 'Type provided requires an email address');
  if (!user) return {};
  if (type === 'signup' && isConfirmed(user)) return {};
  if (type === 'email_change' && !user.email_change) return {};
  const redirect = referrer(ctx, r);
  await ctx.sql.begin(async (tx) => {
    if (pkce) await createFlowState(tx, user.id, pkce, authMethodOf(type));
    return type === 'signup'
      ? sendConfirmation(ctx, tx, user, redirect, pkce !== undefined)
      : sendEmailChange(ctx, tx, user, user.email_change ?? '', redirect, pkce !== undefined);
  });
  return {};
}
