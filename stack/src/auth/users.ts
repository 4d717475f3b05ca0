import type { Queryable } from '../postgres/internal-db.ts';

/** The auth.users columns this subset reads. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_token: string | null;
  confirmation_sent_at: Date | null;
  recovery_token: string | null;
  recovery_sent_at: Date | null;
  email_change: string | null;
  email_change_token_new: string | null;
  email_change_token_current: string | null;
  email_change_sent_at: Date | null;
  email_change_confirm_status: number | null;
  reauthentication_token: string | null;
  reauthentication_sent_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
  is_sso_user: boolean;
}

export const USER_COLUMNS = `id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
  confirmation_token, confirmation_sent_at, recovery_token, recovery_sent_at, email_change, email_change_token_new,
  email_change_token_current, email_change_sent_at, email_change_confirm_status, reauthentication_token, reauthentication_sent_at, phone, phone_confirmed_at,
  last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until, deleted_at, is_anonymous, is_sso_user`;

export async function findUserById(sql: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await sql.unsafe<UserRow>(`select ${USER_COLUMNS} from auth.users where id = $1`, [id]);
  return row;
}

/** GoTrue's FindUserByEmailAndAudience: case-insensitive email within the audience. */
export async function findUserByEmail(sql: Queryable, email: string, aud: string): Promise<UserRow | undefined> {
  const [row] = await sql.unsafe<UserRow>(
    `select ${USER_COLUMNS} from auth.users where lower(email) = lower($1) and aud = $2 limit 1`, [email, aud]);
  return row;
}

export function isBanned(u: UserRow): boolean {
  return u.banned_until !== null && u.banned_until.getTime() > Date.now();
}

/** GoTrue's User.IsConfirmed: email_confirmed_at is set. */
export function isConfirmed(u: UserRow): boolean {
  return u.email_confirmed_at !== null;
}

const iso = (d: Date | null): string | undefined => (d ? d.toISOString() : undefined);

/**
 * The user object GoTrue returns (models.User JSON, field order and omitempty as its
 * struct tags). The email identity is derived from the row (this stack keeps no
 * auth.identities table).
 */
export function userJson(u: UserRow, opts: { identities?: boolean } = {}): Record<string, unknown> {
  const appMeta = u.raw_app_meta_data ?? {};
  const userMeta = u.raw_user_meta_data ?? {};
  const confirmedAt = u.email_confirmed_at ?? u.phone_confirmed_at;
  const identities = u.email && opts.identities !== false ? [{
    identity_id: u.id,
    id: u.id,
    user_id: u.id,
    identity_data: { email: u.email, email_verified: u.email_confirmed_at !== null, phone_verified: false, sub: u.id },
    provider: 'email',
    last_sign_in_at: iso(u.last_sign_in_at),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    email: u.email.toLowerCase(),
  }] : [];
  return {
    id: u.id,
    aud: u.aud ?? '',
    role: u.role ?? '',
    email: u.email ?? '',
    email_confirmed_at: iso(u.email_confirmed_at),
    invited_at: iso(u.invited_at),
    phone: u.phone ?? '',
    phone_confirmed_at: iso(u.phone_confirmed_at),
    confirmation_sent_at: iso(u.confirmation_sent_at),
    confirmed_at: iso(confirmedAt),
    recovery_sent_at: iso(u.recovery_sent_at),
    new_email: u.email_change || undefined,
    email_change_sent_at: iso(u.email_change_sent_at),
    reauthentication_sent_at: iso(u.reauthentication_sent_at),
    last_sign_in_at: iso(u.last_sign_in_at),
    app_metadata: appMeta,
    user_metadata: userMeta,
    identities,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    banned_until: iso(u.banned_until),
    deleted_at: iso(u.deleted_at),
    is_anonymous: u.is_anonymous,
  };
}
