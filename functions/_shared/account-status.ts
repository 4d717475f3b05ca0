/**
 * The immediate cut-off, in the functions: Auth has banned the account (the members
 * function's `cut_off`), yet its access token stays valid until `exp` and the gateway
 * checks only the signature and expiry. The functions that write as the database owner
 * bypass RLS — where the policies refuse a banned account's token
 * (migrations/20261206154217_cut_off_and_sign_in_acceptance.sql) — so they ask the
 * same question here: one primary-key lookup in auth.users per request.
 */
import type { ISql } from 'postgres';
import type { Caller } from './auth-claims.ts';
import { HttpError } from './http.ts';

/** 403 (`reason: user_banned`, GoTrue's code for a banned account) when the calling user is banned. */
export async function refuseBannedCaller(sql: ISql, caller: Caller): Promise<void> {
  if (caller.kind !== 'user' || !caller.userId) return;
  const banned = await sql`select 1 from auth.users where id = ${caller.userId} and banned_until > now()`;
  if (banned.length > 0) throw new HttpError('forbidden', 'This account has been cut off: it is banned.', { reason: 'user_banned' });
}
