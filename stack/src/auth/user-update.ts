import { mergeMetadata, updatePassword } from './accounts.ts';
import { checkPasswordStrength, obj, str, validateEmail, type AuthContext, type AuthRequest } from './context.ts';
import { sendEmailChange } from './emails.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';
import { authMethodOf, createFlowState, pkceParams } from './pkce.ts';
import { getReferrer } from './redirect.ts';
import { findUserByEmail, userJson, type UserRow } from './users.ts';

const DUPLICATE_EMAIL = 'A user with this email address has already been registered';
export { DUPLICATE_EMAIL };

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
    if (user.encrypted_password && await ctx.verifyPassword(password, user.encrypted_password)) {
      throw new AuthError(422, AUTH_ERROR.samePassword, 'New password should be different from the old password.');
    }
    hash = await ctx.hashPassword(password);
  }
  const redirect = getReferrer(ctx.settings, r.req, r.url, r.params);
  const updated = await ctx.sql.begin(async (tx) => {
    let u = user;
    if (hash !== undefined) u = await updatePassword(tx, u.id, hash, sessionId);
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
