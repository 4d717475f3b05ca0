import type { Queryable } from '../postgres/internal-db.ts';

/** The auth.users columns this subset reads. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  banned_until: Date | null;
  is_anonymous: boolean;
}

export const USER_COLUMNS = `id, aud, role, email, encrypted_password, email_confirmed_at, phone, phone_confirmed_at,
  last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until, is_anonymous`;

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

const iso = (d: Date | null): string | undefined => (d ? d.toISOString() : undefined);

/** The user object GoTrue returns (models.User JSON; omitempty fields left out when empty). */
export function userJson(u: UserRow): Record<string, unknown> {
  const appMeta = u.raw_app_meta_data ?? {};
  const userMeta = u.raw_user_meta_data ?? {};
  const confirmedAt = u.email_confirmed_at ?? u.phone_confirmed_at;
  const identities = u.email ? [{
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
    phone: u.phone ?? '',
    phone_confirmed_at: iso(u.phone_confirmed_at),
    confirmed_at: iso(confirmedAt),
    last_sign_in_at: iso(u.last_sign_in_at),
    app_metadata: appMeta,
    user_metadata: userMeta,
    identities,
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    is_anonymous: u.is_anonymous,
  };
}
