import { mergeMetadata, updatePassword } from './accounts.ts';
import { checkPasswordStrength, obj, str, validateEmail, type AuthContext, type AuthRequest } from './context.ts';
import { sendEmailChange, sendReauthentication } from './emails.ts';
import { isOtpExpired, tokenHash } from './one-time-tokens.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { authMethodOf, createFlowState, pkceParams } from './pkce.ts';
import { getReferrer } from './redirect.ts';
import { findUserByEmail, isConfirmed, userJson, type UserRow } from './users.ts';

const DUPLICATE_EMAIL = 'A user with this email address has already been registered';
export { DUPLICATE_EMAIL };

/** GoTrue asks for a nonce when the session is missing or more than a day old. */
const REAUTHENTICATION_WINDOW_MS = 24 * 3600 * 1000;

async function needsReauthentication(ctx: AuthContext, sessionId: string | undefined): Promise<boolean> {
  if (sessionId === undefined) return true;
  const [row] = await ctx.sql<{ created_at: Date }>`select created_at from auth.sessions where id = ${sessionId}`;
  return !row || Date.now() > row.created_at.getTime() + REAUTHENTICATION_WINDOW_MS;
}

/** verifyReauthentication (reauthenticate.go): the emailed code against reauthentication_token. */
function checkNonce(ctx: AuthContext, user: UserRow, nonce: string): void {
  const invalid = (): AuthError => new AuthError(422, AUTH_ERROR.reauthenticationNotValid, 'Nonce has expired or is invalid');
  if (!user.reauthentication_token || user.reauthentication_sent_at === null) throw invalid();
  if (user.reauthentication_token !== tokenHash(user.email ?? '', nonce) || isOtpExpired(user.reauthentication_sent_at, ctx.settings.otpExpiry)) {
    throw invalid();
  }
}

/** GET /reauthenticate: a code to the (confirmed) email, for a password change under secure_password_change. */
export async function reauthenticate(ctx: AuthContext, user: UserRow): Promise<Record<string, never>> {
  if (!user.email && !user.phone) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Reauthentication requires the user to have an email or a phone number');
  }
  if (!user.email) throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Unsupported phone provider');
  if (!isConfirmed(user)) throw new AuthError(422, AUTH_ERROR.emailNotConfirmed, 'Please verify your email first.');
  await ctx.sql.begin((tx) => sendReauthentication(ctx, tx, user));
  return {};
}

/**
 * PUT /user (Supabase Auth internal/api/user.go UserUpdate): password (other sessions
 * signed out), user metadata (merged), email (confirmation emails to the new — and with
 * double_confirm_changes the current — address; with autoconfirm one link suffices).
 */
export async function updateUser(ctx: AuthContext, r: AuthRequest, user: UserRow, sessionId: string | undefined): Promise<Record<string, unknown>> {
  const email = str(r.params.email);
  const password = typeof r.params.password === 'string' ? r.params.password : undefined;
  const data = obj(r.params.data);
  if (r.params.app_metadata !== undefined) throw new AuthError(403, AUTH_ERROR.notAdmin, 'Updating app_metadata requires admin privileges');
  if (str(r.params.phone) !== '') throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Unsupported phone provider');
  const newEmail = email === '' ? '' : validateEmail(email);
  const pkce = pkceParams(r.params);
  const changingEmail = newEmail !== '' && newEmail !== (user.email ?? '').toLowerCase();
  if (changingEmail) {
    const other = await findUserByEmail(ctx.sql, newEmail, ctx.settings.audience);
    if (other && other.id !== user.id) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
  }
  let hash: string | undefined;
  if (password !== undefined) {
    checkPasswordStrength(ctx, password);
    if (ctx.settings.securePasswordChange && await needsReauthentication(ctx, sessionId)) {
      const nonce = str(r.params.nonce);
      if (nonce === '') throw new AuthError(400, AUTH_ERROR.reauthenticationNeeded, 'Password update requires reauthentication');
      checkNonce(ctx, user, nonce);
    }
    if (user.encrypted_password && await ctx.verifyPassword(password, user.encrypted_password)) {
      throw new AuthError(422, AUTH_ERROR.samePassword, 'New password should be different from the old password.');
    }
    hash = await ctx.hashPassword(password);
  }
  const redirect = getReferrer(ctx.settings, r.headers, r.url, r.params);
  const updated = await ctx.sql.begin(async (tx) => {
    let u = user;
    if (hash !== undefined) {
      // ConfirmReauthentication: the nonce is spent with the change it authorised.
      await tx`update auth.users set reauthentication_token = '', reauthentication_sent_at = null where id = ${u.id}`;
      u = await updatePassword(tx, u.id, hash, sessionId);
    }
    if (data) u = await mergeMetadata(tx, u.id, 'raw_user_meta_data', data);
    // A permanent user always confirms a new address by link, autoconfirm or not (user.go).
    if (changingEmail) {
      if (pkce) await createFlowState(tx, u.id, pkce, authMethodOf('email_change'));
      u = await sendEmailChange(ctx, tx, u, newEmail, redirect, pkce !== undefined);
    }
    return u;
  });
  return userJson(updated);
}
