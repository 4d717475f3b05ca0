import type { Queryable } from '../postgres/internal-db.ts';
import { clearOneTimeTokens } from './one-time-tokens.ts';
import { USER_COLUMNS, type UserRow } from './users.ts';

/** Row writes GoTrue's models.User methods make (NewUser + Create, Confirm, Recover, UpdatePassword …). */

export interface NewUser {
  /** A caller-chosen id (admin create); generated otherwise. */
  id?: string;
  email: string;
  passwordHash: string;
  data: Record<string, unknown>;
  appData?: Record<string, unknown>;
  role?: string;
  aud: string;
  confirmed?: boolean;
}

async function one(tx: Queryable, text: string, params: unknown[]): Promise<UserRow> {
  const [row] = await tx.unsafe<UserRow>(text, params);
  if (!row) throw new Error('auth.users write returned no row');
  return row;
}

/** models.NewUser + signupNewUser: app_metadata {provider: email, providers: [email]}, the default role. */
export function createUser(tx: Queryable, u: NewUser): Promise<UserRow> {
  const app = { provider: 'email', providers: ['email'], ...u.appData };
  return one(tx, `insert into auth.users (id, instance_id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
      email_confirmed_at, confirmation_token, recovery_token, email_change_token_new, email_change, created_at, updated_at)
    values (coalesce($8::uuid, gen_random_uuid()), '00000000-0000-0000-0000-000000000000', $1, $2, $3, $4, $5::jsonb, $6::jsonb,
      case when $7 then now() end, '', '', '', '', now(), now())
    returning ${USER_COLUMNS}`,
  [u.aud, u.role ?? 'authenticated', u.email, u.passwordHash, JSON.stringify(app), JSON.stringify(u.data), u.confirmed === true, u.id ?? null]);
}

/** User.Confirm: email confirmed now, confirmation token spent. */
export async function confirmUser(tx: Queryable, id: string): Promise<UserRow> {
  await clearOneTimeTokens(tx, id, ['confirmation_token']);
  return one(tx, `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), confirmation_token = '',
      updated_at = now() where id = $1 returning ${USER_COLUMNS}`, [id]);
}

/** User.Recover: recovery (and magic link) token spent. */
export async function spendRecoveryToken(tx: Queryable, id: string): Promise<UserRow> {
  await clearOneTimeTokens(tx, id, ['recovery_token']);
  return one(tx, `update auth.users set recovery_token = '', updated_at = now() where id = $1 returning ${USER_COLUMNS}`, [id]);
}

/** User.ConfirmEmailChange: the new address becomes the email (confirmed), change state cleared. */
export async function confirmEmailChange(tx: Queryable, id: string): Promise<UserRow> {
  await clearOneTimeTokens(tx, id, ['email_change_token_new', 'email_change_token_current']);
  return one(tx, `update auth.users set email = email_change, email_change = '', email_change_token_new = '',
      email_change_token_current = '', email_change_confirm_status = 0, email_change_sent_at = null,
      email_confirmed_at = now(), updated_at = now() where id = $1 returning ${USER_COLUMNS}`, [id]);
}

/**
 * User.UpdatePassword: new hash, every outstanding email token void (the old password's
 * actions are no longer trusted), and every session but `keepSession` signed out.
 */
export async function updatePassword(tx: Queryable, id: string, hash: string, keepSession: string | undefined): Promise<UserRow> {
  await clearOneTimeTokens(tx, id);
  const row = await one(tx, `update auth.users set encrypted_password = $2, confirmation_token = '', confirmation_sent_at = null,
      recovery_token = '', recovery_sent_at = null, email_change_token_current = '', email_change_token_new = '',
      email_change_sent_at = null, updated_at = now() where id = $1 returning ${USER_COLUMNS}`, [id, hash]);
  if (keepSession) await tx`delete from auth.sessions where user_id = ${id} and id <> ${keepSession}`;
  else await tx`delete from auth.sessions where user_id = ${id}`;
  return row;
}

/** User.UpdateUserMetaData / UpdateAppMetaData: keys merged in, a null value removes its key. */
export async function mergeMetadata(tx: Queryable, id: string, column: 'raw_user_meta_data' | 'raw_app_meta_data',
  patch: Record<string, unknown>): Promise<UserRow> {
  const removed = Object.entries(patch).filter(([, v]) => v === null).map(([k]) => k);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null));
  return one(tx, `update auth.users set ${column} = (coalesce(${column}, '{}'::jsonb) || $2::jsonb) - $3::text[], updated_at = now()
      where id = $1 returning ${USER_COLUMNS}`, [id, JSON.stringify(set), removed]);
}
