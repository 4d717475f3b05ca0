import type { Queryable } from '../postgres/internal-db.ts';
import type { AuthContext } from './context.ts';
import { checkFrequency, generateOtp, saveOneTimeToken, tokenHash } from './one-time-tokens.ts';
import { PKCE_PREFIX } from './pkce.ts';
import { goQueryEncode } from './redirect.ts';
import type { EmailKind } from './settings.ts';
import { USER_COLUMNS, type UserRow } from './users.ts';

/**
 * The emails GoTrue sends (internal/api/mail.go sendConfirmation, sendInvite,
 * sendPasswordRecovery, sendMagicLink, sendEmailChange): a fresh OTP, its hash stored on
 * the user and in auth.one_time_tokens, an email whose link carries the hash — sent
 * before the row is updated, so a refused send (rate limit) leaves the old token.
 */

/** Verification types the links carry. */
export type LinkType = 'signup' | 'invite' | 'recovery' | 'magiclink' | 'email_change';

/** GoTrue's encodeRedirectURL: escaped only when it holds & = or # (else taken as already encoded). */
function encodeRedirect(referrer: string): string {
  return /[&=#]/.test(referrer) ? goQueryEncode({ r: referrer }).slice(2) : referrer;
}

/** The link in the email: <API>/auth/v1/verify?token=<hash>&type=…&redirect_to=… (the CLI's GOTRUE_MAILER_URLPATHS_*). */
export function actionLink(ctx: AuthContext, hash: string, type: LinkType, referrer: string): string {
  return `${ctx.issuer}/verify?token=${encodeURIComponent(hash)}&type=${type}&redirect_to=${encodeRedirect(referrer)}`;
}

async function send(ctx: AuthContext, kind: EmailKind, to: string, u: UserRow, otp: string, hash: string,
  type: LinkType, referrer: string, extra: { NewEmail?: string } = {}): Promise<void> {
  await ctx.mailer.send(kind, to, {
    SiteURL: ctx.settings.siteUrl, ConfirmationURL: actionLink(ctx, hash, type, referrer), Email: u.email ?? '',
    Token: otp, TokenHash: hash, RedirectTo: referrer, Data: u.raw_user_meta_data ?? {}, ...extra,
  });
}

async function reload(tx: Queryable, id: string): Promise<UserRow> {
  const [row] = await tx.unsafe<UserRow>(`select ${USER_COLUMNS} from auth.users where id = $1`, [id]);
  if (!row) throw new Error(`user ${id} vanished`);
  return row;
}

/** addFlowPrefixToToken: a PKCE request's token is stored and linked as "pkce_<hash>". */
const flowPrefix = (pkce: boolean | undefined): string => (pkce ? PKCE_PREFIX : '');

export async function sendConfirmation(ctx: AuthContext, tx: Queryable, u: UserRow, referrer: string, pkce?: boolean): Promise<UserRow> {
  checkFrequency(u.confirmation_sent_at, ctx.settings.maxFrequency);
  const email = u.email ?? '';
  const otp = generateOtp(ctx.settings.otpLength);
  const hash = flowPrefix(pkce) + tokenHash(email, otp);
  await send(ctx, 'confirmation', email, u, otp, hash, 'signup', referrer);
  await tx`update auth.users set confirmation_token = ${hash}, confirmation_sent_at = now() where id = ${u.id}`;
  await saveOneTimeToken(tx, u.id, 'confirmation_token', hash, email);
  return reload(tx, u.id);
}

export async function sendInvite(ctx: AuthContext, tx: Queryable, u: UserRow, referrer: string): Promise<UserRow> {
  const email = u.email ?? '';
  const otp = generateOtp(ctx.settings.otpLength);
  const hash = tokenHash(email, otp);
  await send(ctx, 'invite', email, u, otp, hash, 'invite', referrer);
  await tx`update auth.users set confirmation_token = ${hash}, confirmation_sent_at = now(), invited_at = now() where id = ${u.id}`;
  await saveOneTimeToken(tx, u.id, 'confirmation_token', hash, email);
  return reload(tx, u.id);
}

/** Recovery and magic link share recovery_token and its sent_at timer, as in GoTrue. */
export async function sendRecoveryOrMagicLink(ctx: AuthContext, tx: Queryable, u: UserRow, referrer: string,
  type: 'recovery' | 'magiclink', pkce?: boolean): Promise<UserRow> {
  checkFrequency(u.recovery_sent_at, ctx.settings.maxFrequency);
  const email = u.email ?? '';
  const otp = generateOtp(ctx.settings.otpLength);
  const hash = flowPrefix(pkce) + tokenHash(email, otp);
  await send(ctx, type === 'recovery' ? 'recovery' : 'magic_link', email, u, otp, hash, type, referrer);
  await tx`update auth.users set recovery_token = ${hash}, recovery_sent_at = now() where id = ${u.id}`;
  await saveOneTimeToken(tx, u.id, 'recovery_token', hash, email);
  return reload(tx, u.id);
}

/**
 * Email change: a token for the new address and, with [auth.email] double_confirm_changes
 * (GoTrue's secure email change), one for the current address too — both must be used.
 */
export async function sendEmailChange(ctx: AuthContext, tx: Queryable, u: UserRow, newEmail: string, referrer: string,
  pkce?: boolean): Promise<UserRow> {
  checkFrequency(u.email_change_sent_at, ctx.settings.maxFrequency);
  const current = u.email ?? '';
  const otpNew = generateOtp(ctx.settings.otpLength);
  const hashNew = flowPrefix(pkce) + tokenHash(newEmail, otpNew);
  const secure = ctx.settings.secureEmailChange && current !== '';
  const otpCurrent = secure ? generateOtp(ctx.settings.otpLength) : '';
  const hashCurrent = secure ? flowPrefix(pkce) + tokenHash(current, otpCurrent) : '';
  const withNew = { ...u, email_change: newEmail };
  await send(ctx, 'email_change', newEmail, withNew, otpNew, hashNew, 'email_change', referrer, { NewEmail: newEmail });
  if (secure) await send(ctx, 'email_change', current, withNew, otpCurrent, hashCurrent, 'email_change', referrer, { NewEmail: newEmail });
  await tx`update auth.users set email_change = ${newEmail}, email_change_token_new = ${hashNew},
             email_change_token_current = ${hashCurrent}, email_change_sent_at = now(), email_change_confirm_status = 0
           where id = ${u.id}`;
  await saveOneTimeToken(tx, u.id, 'email_change_token_new', hashNew, newEmail);
  if (secure) await saveOneTimeToken(tx, u.id, 'email_change_token_current', hashCurrent, current);
  return reload(tx, u.id);
}

/** sendReauthenticationOtp: a code (no link) for GET /reauthenticate, checked as PUT /user's nonce. */
export async function sendReauthentication(ctx: AuthContext, tx: Queryable, u: UserRow): Promise<void> {
  checkFrequency(u.reauthentication_sent_at, ctx.settings.maxFrequency);
  const email = u.email ?? '';
  const otp = generateOtp(ctx.settings.otpLength);
  const hash = tokenHash(email, otp);
  await ctx.mailer.send('reauthentication', email, { SiteURL: ctx.settings.siteUrl, Email: email, Token: otp, Data: u.raw_user_meta_data ?? {} });
  await tx`update auth.users set reauthentication_token = ${hash}, reauthentication_sent_at = now() where id = ${u.id}`;
  await saveOneTimeToken(tx, u.id, 'reauthentication_token', hash, email);
}
