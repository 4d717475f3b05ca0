import type { Queryable } from '../postgres/internal-db.ts';
import { confirmUser, createUser, mergeMetadata, updatePassword } from './accounts.ts';
import { isUuid } from './bearer.ts';
import { checkPasswordStrength, obj, str, temporaryPassword, validateEmail, type AuthContext, type AuthRequest } from './context.ts';
import { actionLink, sendInvite, type LinkType } from './emails.ts';
import { AUTH_ERROR, AuthError, jsonReply, type AuthReply } from './errors.ts';
import { generateOtp, saveOneTimeToken, tokenHash } from './one-time-tokens.ts';
import { getReferrer, isRedirectUrlValid } from './redirect.ts';
import { parseDurationSeconds } from './settings.ts';
import { DUPLICATE_EMAIL } from './user-update.ts';
import { findUserByEmail, findUserById, isConfirmed, USER_COLUMNS, userJson, type UserRow } from './users.ts';

/**
 * The service-role endpoints of Supabase Auth (internal/api/invite.go, admin.go,
 * mail.go adminGenerateLink). The caller has passed requireAdmin.
 */

export const ADMIN_LIMITS = { defaultPerPage: 50, maxPerPage: 1000 };

/** POST /invite {email, data}: an existing confirmed account is 422 email_exists. */
export async function invite(ctx: AuthContext, r: AuthRequest): Promise<Record<string, unknown>> {
  const email = validateEmail(str(r.params.email));
  const data = obj(r.params.data) ?? {};
  const existing = await findUserByEmail(ctx.sql, email, ctx.settings.audience);
  if (existing && isConfirmed(existing)) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
  const redirect = getReferrer(ctx.settings, r.headers, r.url, r.params);
  const user = await ctx.sql.begin(async (tx) => {
    const u = existing ?? await createUser(tx, { email, passwordHash: '', data, aud: ctx.settings.audience });
    return sendInvite(ctx, tx, u, redirect);
  });
  return userJson(user);
}

async function loadUser(ctx: AuthContext, id: string): Promise<UserRow> {
  if (!isUuid(id)) throw new AuthError(404, AUTH_ERROR.validationFailed, 'user_id must be an UUID');
  const user = await findUserById(ctx.sql, id);
  if (!user) throw new AuthError(404, AUTH_ERROR.userNotFound, 'User not found');
  return user;
}

/** GET /admin/users?page=&per_page=: newest first, X-Total-Count and Link headers as GoTrue's addPaginationHeaders. */
export async function listUsers(ctx: AuthContext, r: AuthRequest): Promise<AuthReply> {
  const num = (k: string, d: number): number => {
    const v = r.url.searchParams.get(k);
    if (v === null || v === '') return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new AuthError(400, AUTH_ERROR.validationFailed, `Bad Pagination Parameters: ${k} must be a positive integer`);
    return n;
  };
  const page = num('page', 1);
  const perPage = Math.min(num('per_page', ADMIN_LIMITS.defaultPerPage), ADMIN_LIMITS.maxPerPage);
  const filter = r.url.searchParams.get('filter') ?? '';
  const like = `%${filter.replace(/[\\%_]/g, '\\$&')}%`;
  const where = `aud = $1 and ($2 = '' or email ilike $3 or raw_user_meta_data->>'full_name' ilike $3)`;
  const [count] = await ctx.sql.unsafe<{ n: number }>(`select count(*)::int as n from auth.users where ${where}`, [ctx.settings.audience, filter, like]);
  const rows = await ctx.sql.unsafe<UserRow>(`select ${USER_COLUMNS} from auth.users where ${where}
      order by created_at desc, id limit $4 offset $5`, [ctx.settings.audience, filter, like, perPage, (page - 1) * perPage]);
  const total = count?.n ?? 0;
  const last = Math.max(1, Math.ceil(total / perPage));
  const base = `${ctx.issuer}/admin/users`;
  const links = [
    ...(page < last ? [`<${base}?page=${page + 1}&per_page=${perPage}>; rel="next"`] : []),
    `<${base}?page=${last}&per_page=${perPage}>; rel="last"`,
  ];
  return jsonReply(200, { users: rows.map((u) => userJson(u)), aud: ctx.settings.audience },
    { 'x-total-count': String(total), link: links.join(', '), 'access-control-expose-headers': 'x-supabase-api-version, x-total-count, link' });
}

export async function getUser(ctx: AuthContext, id: string): Promise<Record<string, unknown>> {
  return userJson(await loadUser(ctx, id));
}

/** ban_duration: "none" lifts a ban, a Go duration ("24h") bans until now + it. */
function banUntil(v: unknown): Date | null | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'none') return null;
  try {
    return new Date(Date.now() + parseDurationSeconds(String(v)) * 1000);
  } catch {
    throw new AuthError(400, AUTH_ERROR.validationFailed, `invalid format for ban duration: time: invalid duration "${String(v)}"`);
  }
}

async function setFields(tx: Queryable, id: string, fields: Record<string, unknown>): Promise<void> {
  const keys = Object.keys(fields);
  if (keys.length === 0) return;
  await tx.unsafe(`update auth.users set ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now() where id = $1`,
    [id, ...keys.map((k) => fields[k])]);
}

/** POST /admin/users {email, password, email_confirm, user_metadata, app_metadata, role, ban_duration}. */
export async function createUserAdmin(ctx: AuthContext, r: AuthRequest): Promise<Record<string, unknown>> {
  const p = r.params;
  if (str(p.email) === '' && str(p.phone) === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'Cannot create a user without either an email or phone');
  if (str(p.phone) !== '') throw new AuthError(400, AUTH_ERROR.phoneProviderDisabled, 'Unsupported phone provider');
  const email = validateEmail(str(p.email));
  if (await findUserByEmail(ctx.sql, email, ctx.settings.audience)) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
  // GoTrue checks no strength rule here, and gives a user without a password a random one.
  const password = str(p.password) || temporaryPassword();
  const id = str(p.id);
  if (id !== '' && !isUuid(id)) throw new AuthError(400, AUTH_ERROR.validationFailed, 'ID must conform to the uuid v4 format');
  if (id === '00000000-0000-0000-0000-000000000000') throw new AuthError(400, AUTH_ERROR.validationFailed, 'ID cannot be a nil uuid');
  const ban = banUntil(p.ban_duration);
  const hash = await ctx.hashPassword(password);
  const user = await ctx.sql.begin(async (tx) => {
    const u = await createUser(tx, {
      id: id || undefined, email, passwordHash: hash, data: obj(p.user_metadata) ?? {}, appData: obj(p.app_metadata),
      role: str(p.role) || undefined, aud: ctx.settings.audience, confirmed: p.email_confirm === true,
    });
    if (ban !== undefined) await setFields(tx, u.id, { banned_until: ban });
    return (await findUserById(tx, u.id)) ?? u;
  });
  return userJson(user);
}

/** PUT /admin/users/{id}: email, password (every session signed out), metadata (merged), role, ban_duration, email_confirm. */
export async function updateUserAdmin(ctx: AuthContext, r: AuthRequest, id: string): Promise<Record<string, unknown>> {
  const user = await loadUser(ctx, id);
  const p = r.params;
  const email = str(p.email) === '' ? undefined : validateEmail(str(p.email));
  const password = typeof p.password === 'string' ? p.password : undefined;
  if (password !== undefined) checkPasswordStrength(ctx, password);
  const ban = banUntil(p.ban_duration);
  const hash = password === undefined ? undefined : await ctx.hashPassword(password);
  const updated = await ctx.sql.begin(async (tx) => {
    const fields: Record<string, unknown> = {};
    if (email !== undefined && email !== user.email) fields.email = email;
    if (str(p.role) !== '') fields.role = str(p.role);
    if (ban !== undefined) fields.banned_until = ban;
    await setFields(tx, id, fields);
    if (hash !== undefined) await updatePassword(tx, id, hash, undefined);
    const userMeta = obj(p.user_metadata);
    if (userMeta) await mergeMetadata(tx, id, 'raw_user_meta_data', userMeta);
    const appMeta = obj(p.app_metadata);
    if (appMeta) await mergeMetadata(tx, id, 'raw_app_meta_data', appMeta);
    if (p.email_confirm === true) await confirmUser(tx, id);
    return findUserById(tx, id);
  }).catch((e: unknown) => {
    // GoTrue checks no duplicate here: the unique email index refuses it, answered as any failure.
    throw e instanceof AuthError ? e : new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Error updating user', e);
  });
  return userJson(updated ?? user);
}

/** DELETE /admin/users/{id} {should_soft_delete}: hard delete, or GoTrue's SoftDeleteUser (anonymised, signed out). */
export async function deleteUserAdmin(ctx: AuthContext, r: AuthRequest, id: string): Promise<Record<string, unknown>> {
  const user = await loadUser(ctx, id);
  if (r.params.should_soft_delete === true && user.deleted_at === null) {
    await ctx.sql.begin(async (tx) => {
      await tx`delete from auth.sessions where user_id = ${id}`;
      await tx`delete from auth.one_time_tokens where user_id = ${id}`;
      await tx`update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '',
                 confirmation_token = '', recovery_token = '', email_change = '', email_change_token_new = '',
                 email_change_token_current = '', raw_app_meta_data = '{}'::jsonb, raw_user_meta_data = '{}'::jsonb
               where id = ${id}`;
    });
  } else if (r.params.should_soft_delete !== true) {
    try {
      await ctx.sql`delete from auth.users where id = ${id}`;
    } catch (e) {
      throw new AuthError(500, AUTH_ERROR.unexpectedFailure, 'Database error deleting user', e);
    }
  }
  return {};
}

const GENERATE_TYPES = new Set(['signup', 'invite', 'magiclink', 'recovery', 'email_change_current', 'email_change_new']);

/**
 * POST /admin/generate_link: the link and OTP an email would carry, without sending one
 * (user fields plus action_link, email_otp, hashed_token, verification_type, redirect_to).
 */
export async function generateLink(ctx: AuthContext, r: AuthRequest): Promise<Record<string, unknown>> {
  const p = r.params;
  let type = str(p.type);
  const email = validateEmail(str(p.email));
  const wanted = str(p.redirect_to);
  const referrer = isRedirectUrlValid(ctx.settings, wanted) ? wanted : getReferrer(ctx.settings, r.headers, r.url);
  let user = await findUserByEmail(ctx.sql, email, ctx.settings.audience);
  let password = str(p.password);
  if (!user) {
    if (type === 'magiclink') { type = 'signup'; password = temporaryPassword(); }
    else if (type === 'recovery' || type === 'email_change_current' || type === 'email_change_new') {
      throw new AuthError(404, AUTH_ERROR.userNotFound, 'User with this email not found');
    }
  }
  if (!GENERATE_TYPES.has(type)) throw new AuthError(400, AUTH_ERROR.validationFailed, `Invalid email action link type requested: ${type}`);
  const otp = generateOtp(ctx.settings.otpLength);
  let hashed = tokenHash(email, otp);
  if (type === 'signup' && !user) {
    if (!ctx.settings.signupEnabled) throw new AuthError(422, AUTH_ERROR.signupDisabled, 'Signups not allowed for this instance');
    if (password === '') throw new AuthError(422, AUTH_ERROR.validationFailed, 'Signup requires a valid password');
    checkPasswordStrength(ctx, password);
  }
  const passwordHash = type === 'signup' && !user ? await ctx.hashPassword(password) : '';
  const data = obj(p.data) ?? {};
  let newEmail = '';
  if (type === 'email_change_current' || type === 'email_change_new') {
    if (type === 'email_change_current' && !ctx.settings.secureEmailChange) {
      throw new AuthError(400, AUTH_ERROR.validationFailed, 'Enable secure email change to generate link for current email');
    }
    newEmail = validateEmail(str(p.new_email));
    const dup = await findUserByEmail(ctx.sql, newEmail, ctx.settings.audience);
    if (dup && dup.id !== user?.id) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
    if (type === 'email_change_new') hashed = tokenHash(newEmail, otp);
  }
  const linkType: LinkType = type === 'email_change_current' || type === 'email_change_new' ? 'email_change' : type as LinkType;
  const result = await ctx.sql.begin(async (tx) => {
    let u = user;
    switch (type) {
      case 'magiclink': case 'recovery':
        await tx`update auth.users set recovery_token = ${hashed}, recovery_sent_at = now() where id = ${u!.id}`;
        await saveOneTimeToken(tx, u!.id, 'recovery_token', hashed, email);
        break;
      case 'invite':
        if (u && isConfirmed(u)) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
        u ??= await createUser(tx, { email, passwordHash: '', data, aud: ctx.settings.audience });
        await tx`update auth.users set confirmation_token = ${hashed}, confirmation_sent_at = now(), invited_at = now() where id = ${u.id}`;
        await saveOneTimeToken(tx, u.id, 'confirmation_token', hashed, email);
        break;
      case 'signup':
        if (u && isConfirmed(u)) throw new AuthError(422, AUTH_ERROR.emailExists, DUPLICATE_EMAIL);
        if (u) u = await mergeMetadata(tx, u.id, 'raw_user_meta_data', data);
        else u = await createUser(tx, { email, passwordHash, data, aud: ctx.settings.audience });
        await tx`update auth.users set confirmation_token = ${hashed}, confirmation_sent_at = now() where id = ${u.id}`;
        await saveOneTimeToken(tx, u.id, 'confirmation_token', hashed, email);
        break;
      default: {
        const current = type === 'email_change_current';
        await tx`update auth.users set email_change = ${newEmail}, email_change_sent_at = now(), email_change_confirm_status = 0,
                   email_change_token_current = ${current ? hashed : ''}, email_change_token_new = ${current ? '' : hashed}
                 where id = ${u!.id}`;
        await saveOneTimeToken(tx, u!.id, current ? 'email_change_token_current' : 'email_change_token_new', hashed, current ? email : newEmail);
      }
    }
    return (await findUserById(tx, u!.id))!;
  });
  return {
    ...userJson(result),
    action_link: actionLink(ctx, hashed, linkType, referrer),
    email_otp: otp,
    hashed_token: hashed,
    verification_type: type,
    redirect_to: referrer,
  };
}
