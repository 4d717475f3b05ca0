import type { Queryable } from '../postgres/internal-db.ts';
import { confirmEmailChange, confirmUser, spendRecoveryToken, updatePassword } from './accounts.ts';
import { str, temporaryPassword, validateEmail, type AuthContext, type AuthRequest } from './context.ts';
import { AUTH_ERROR, AuthError, type AuthReply } from './errors.ts';
import { issueSession, type TokenResponse } from './grants.ts';
import { clearOneTimeTokens, isOtpExpired, tokenHash } from './one-time-tokens.ts';
import { authMethodOf, issueAuthCode, PKCE_PREFIX } from './pkce.ts';
import { getReferrer, goQueryEncode } from './redirect.ts';
import { isBanned, USER_COLUMNS, type UserRow } from './users.ts';

/**
 * GET and POST /verify as Supabase Auth's internal/api/verify.go (implicit flow): the
 * token hash from an email link (or email + OTP code) finds the user, is checked against
 * [auth.email] otp_expiry, is spent, and a session is issued. GET redirects with the
 * session (or the error) in the URL fragment.
 */

type VerifyType = 'signup' | 'invite' | 'recovery' | 'magiclink' | 'email_change' | 'email';

const SINGLE_CONFIRMATION = 'Confirmation link accepted. Please proceed to confirm link sent to the other email';

/** oauthErrorMap (internal/api/errors.go): the `error` a redirect carries per status. */
const OAUTH_ERROR: Record<number, string> = {
  400: 'invalid_request', 401: 'unauthorized_client', 403: 'access_denied', 500: 'server_error', 503: 'temporarily_unavailable',
};

const linkExpired = (): AuthError => new AuthError(403, AUTH_ERROR.otpExpired, 'Email link is invalid or has expired');
const otpInvalid = (): AuthError => new AuthError(403, AUTH_ERROR.otpExpired, 'Token has expired or is invalid');

async function userWhere(tx: Queryable, where: string, value: string): Promise<UserRow | undefined> {
  const [row] = await tx.unsafe<UserRow>(`select ${USER_COLUMNS} from auth.users where ${where} limit 1 for update`, [value]);
  return row;
}

/** verifyTokenHash: the user whose outstanding token of this type has the hash. */
async function byTokenHash(ctx: AuthContext, tx: Queryable, type: VerifyType, hash: string): Promise<{ user: UserRow; type: VerifyType }> {
  if (hash === '') throw linkExpired();
  let user: UserRow | undefined;
  let resolved = type;
  switch (type) {
    case 'email':
      user = await userWhere(tx, 'confirmation_token = $1 or recovery_token = $1', hash);
      resolved = user && user.recovery_token === hash ? 'magiclink' : 'signup';
      break;
    case 'signup': case 'invite': user = await userWhere(tx, 'confirmation_token = $1', hash); break;
    case 'recovery': case 'magiclink': user = await userWhere(tx, 'recovery_token = $1', hash); break;
    case 'email_change': user = await userWhere(tx, 'email_change_token_current = $1 or email_change_token_new = $1', hash); break;
  }
  if (!user) throw linkExpired();
  if (isBanned(user)) throw new AuthError(403, AUTH_ERROR.userBanned, 'User is banned');
  const sentAt = resolved === 'signup' || resolved === 'invite' ? user.confirmation_sent_at
    : resolved === 'email_change' ? user.email_change_sent_at : user.recovery_sent_at;
  if (isOtpExpired(sentAt, ctx.settings.otpExpiry)) throw linkExpired();
  return { user, type: resolved };
}

/** verifyUserAndToken: email + OTP code. */
async function byEmailOtp(ctx: AuthContext, tx: Queryable, type: VerifyType, email: string, otp: string): Promise<{ user: UserRow; type: VerifyType; hash: string }> {
  const hash = tokenHash(email, otp);
  const exp = ctx.settings.otpExpiry;
  const valid = (expected: string | null, sentAt: Date | null): boolean =>
    !!expected && (expected === hash || expected === PKCE_PREFIX + hash) && !isOtpExpired(sentAt, exp);
  let user: UserRow | undefined;
  if (type === 'email_change') {
    user = await userWhere(tx, `(lower(email) = lower($1) or lower(email_change) = lower($1))`, email);
  } else {
    user = await userWhere(tx, `lower(email) = lower($1) and aud = 'authenticated'`, email);
  }
  if (!user) throw otpInvalid();
  if (isBanned(user)) throw new AuthError(403, AUTH_ERROR.userBanned, 'User is banned');
  let resolved = type;
  let ok = false;
  if (type === 'email') {
    if (valid(user.confirmation_token, user.confirmation_sent_at)) { ok = true; resolved = 'signup'; }
    else if (valid(user.recovery_token, user.recovery_sent_at)) { ok = true; resolved = 'magiclink'; }
  } else if (type === 'signup' || type === 'invite') ok = valid(user.confirmation_token, user.confirmation_sent_at);
  else if (type === 'recovery' || type === 'magiclink') ok = valid(user.recovery_token, user.recovery_sent_at);
  else ok = valid(user.email_change_token_current, user.email_change_sent_at) || valid(user.email_change_token_new, user.email_change_sent_at);
  if (!ok) throw otpInvalid();
  return { user, type: resolved, hash };
}

/** The per-type step after the token checks out; undefined when only one of two email-change links was used. */
async function apply(ctx: AuthContext, tx: Queryable, type: VerifyType, user: UserRow, hash: string): Promise<UserRow | undefined> {
  switch (type) {
    case 'signup': case 'invite': {
      // signupVerify: an invited user without a password gets a throwaway one (the app asks for a real one).
      if (!user.encrypted_password && user.invited_at) await updatePassword(tx, user.id, await ctx.hashPassword(temporaryPassword()), undefined);
      return confirmUser(tx, user.id);
    }
    case 'recovery': case 'magiclink': {
      const spent = await spendRecoveryToken(tx, user.id);
      return spent.email_confirmed_at ? spent : confirmUser(tx, user.id);
    }
    case 'email_change': {
      if (!ctx.settings.mailerAutoconfirm && ctx.settings.secureEmailChange && (user.email_change_confirm_status ?? 0) === 0 && user.email) {
        const current = user.email_change_token_current === hash || user.email_change_token_current === PKCE_PREFIX + hash;
        await tx.unsafe(`update auth.users set email_change_confirm_status = 1,
            ${current ? 'email_change_token_current' : 'email_change_token_new'} = '' where id = $1`, [user.id]);
        await clearOneTimeTokens(tx, user.id, [current ? 'email_change_token_current' : 'email_change_token_new']);
        return undefined;
      }
      return confirmEmailChange(tx, user.id);
    }
    default:
      throw new AuthError(400, AUTH_ERROR.validationFailed, 'Unsupported verification type');
  }
}

const VERIFY_TYPES = new Set<string>(['signup', 'invite', 'recovery', 'magiclink', 'email_change', 'email']);

function requireType(t: string): VerifyType {
  if (t === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Verify requires a verification type');
  return t as VerifyType;
}

/**
 * Go's url.String() of redirect_to with a new fragment; `query` values are set into its
 * query (re-encoded, as url.Values.Encode does) — the PKCE flow's code, message and errors.
 */
function redirectWith(rurl: string, fragment: Record<string, string> | undefined, query?: Record<string, string>): string {
  let base = rurl.split('#')[0] ?? '';
  if (query) {
    const q = base.indexOf('?');
    const values: Record<string, string> = Object.fromEntries(new URLSearchParams(q >= 0 ? base.slice(q + 1) : ''));
    base = `${q >= 0 ? base.slice(0, q) : base}?${goQueryEncode({ ...values, ...query })}`;
  }
  return fragment ? `${base}#${goQueryEncode(fragment)}` : base;
}

/** GET /verify?token=<hash>&type=…&redirect_to=… → 303 to redirect_to (or site_url) with the outcome in the fragment. */
export async function verifyGet(ctx: AuthContext, r: AuthRequest): Promise<AuthReply> {
  const type = requireType(r.url.searchParams.get('type') ?? '');
  const token = (r.url.searchParams.get('token') ?? '').replaceAll('-', '');
  if (token === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Verify requires a token or a token hash');
  const redirectTo = getReferrer(ctx.settings, r.headers, r.url);
  const pkce = token.startsWith(PKCE_PREFIX);
  let location: string;
  try {
    if (!VERIFY_TYPES.has(type)) throw new AuthError(400, AUTH_ERROR.validationFailed, 'Invalid email verification type');
    let resolved: VerifyType = type; // "email" resolves to signup or magiclink, as GoTrue rewrites params.Type
    const outcome = await ctx.sql.begin(async (tx): Promise<TokenResponse | { code: string } | 'single'> => {
      const found = await byTokenHash(ctx, tx, type, token);
      resolved = found.type;
      const user = await apply(ctx, tx, found.type, found.user, token);
      if (!user) return 'single';
      if (pkce) return { code: await issueAuthCode(tx, user.id, authMethodOf(found.type)) };
      return issueSession(ctx, tx, user, r.meta, 'otp');
    });
    if (outcome === 'single') {
      const message = { message: SINGLE_CONFIRMATION };
      location = redirectWith(redirectTo, message, pkce ? message : undefined);
    } else if ('code' in outcome) {
      location = redirectWith(redirectTo, undefined, { code: outcome.code });
    } else {
      location = redirectWith(redirectTo, {
        access_token: outcome.access_token, expires_at: String(outcome.expires_at), expires_in: String(outcome.expires_in),
        refresh_token: outcome.refresh_token, token_type: outcome.token_type, type: resolved,
      });
    }
  } catch (e) {
    if (!(e instanceof AuthError)) throw e;
    // prepErrorRedirectURL: error, error_code, error_description in the fragment (and the query for PKCE).
    const fragment: Record<string, string> = { error_code: e.code, error_description: e.message };
    const oauth = OAUTH_ERROR[e.status];
    if (oauth) fragment.error = oauth;
    location = redirectWith(redirectTo, fragment, pkce ? fragment : undefined);
  }
  return { status: 303, headers: { location } };
}

/** POST /verify {type, token_hash} or {type, email, token}: the session as JSON. */
export async function verifyPost(ctx: AuthContext, r: AuthRequest): Promise<TokenResponse | Record<string, string>> {
  const type = requireType(str(r.params.type));
  const token = str(r.params.token).replaceAll('-', '');
  const hashParam = str(r.params.token_hash);
  const email = str(r.params.email);
  if ((token === '' && hashParam === '') || (token !== '' && hashParam !== '')) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Verify requires either a token or a token hash');
  }
  if (token !== '' && (email === '' || str(r.params.phone) !== '')) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Only an email address or phone number should be provided on verify');
  }
  if (hashParam !== '' && (email !== '' || str(r.params.phone) !== '' || str(r.params.redirect_to) !== '')) {
    throw new AuthError(400, AUTH_ERROR.validationFailed, 'Only the token_hash and type should be provided');
  }
  let address = '';
  if (token !== '') {
    try { address = validateEmail(email); } catch { throw new AuthError(422, AUTH_ERROR.validationFailed, 'Invalid email format'); }
  }
  if (!VERIFY_TYPES.has(type)) throw new AuthError(400, AUTH_ERROR.validationFailed, 'Invalid email verification type');
  return ctx.sql.begin(async (tx) => {
    const found = hashParam !== ''
      ? { ...(await byTokenHash(ctx, tx, type, hashParam)), hash: hashParam }
      : await byEmailOtp(ctx, tx, type, address, token);
    const user = await apply(ctx, tx, found.type, found.user, found.hash);
    if (!user) return { msg: SINGLE_CONFIRMATION, code: '200' };
    return issueSession(ctx, tx, user, r.meta, 'otp');
  });
}
