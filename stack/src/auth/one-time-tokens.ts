import { createHash, randomInt } from 'node:crypto';
import type { Queryable } from '../postgres/internal-db.ts';
import { AUTH_ERROR, AuthError } from './errors.ts';

/** auth.one_time_token_type values this subset writes. */
export type OneTimeTokenType = 'confirmation_token' | 'recovery_token' | 'email_change_token_new' | 'email_change_token_current'
  | 'reauthentication_token';

/** GoTrue's crypto.GenerateOtp: a numeric code of the configured length. */
export function generateOtp(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String(randomInt(10));
  return s;
}

/** GoTrue's crypto.GenerateTokenHash: sha224 hex of email (or phone) + OTP — what is stored and what links carry. */
export function tokenHash(emailOrPhone: string, otp: string): string {
  return createHash('sha224').update(emailOrPhone + otp).digest('hex');
}

/** models.CreateOneTimeToken: one outstanding token per user and type. */
export async function saveOneTimeToken(tx: Queryable, userId: string, type: OneTimeTokenType, hash: string, relatesTo: string): Promise<void> {
  await tx`delete from auth.one_time_tokens where user_id = ${userId} and token_type = ${type}::auth.one_time_token_type`;
  await tx`insert into auth.one_time_tokens (user_id, token_type, token_hash, relates_to)
           values (${userId}, ${type}::auth.one_time_token_type, ${hash}, ${relatesTo})`;
}

export async function clearOneTimeTokens(tx: Queryable, userId: string, types?: OneTimeTokenType[]): Promise<void> {
  if (types) await tx`delete from auth.one_time_tokens where user_id = ${userId} and token_type::text = any(${types})`;
  else await tx`delete from auth.one_time_tokens where user_id = ${userId}`;
}

/** GoTrue's validateSentWithinFrequencyLimit ([auth.email] max_frequency between two emails of a kind). */
export function checkFrequency(sentAt: Date | null, maxFrequencySeconds: number): void {
  if (sentAt === null) return;
  const until = sentAt.getTime() + maxFrequencySeconds * 1000;
  if (until > Date.now()) {
    const left = Math.trunc((until - Date.now()) / 1000);
    throw new AuthError(429, AUTH_ERROR.overEmailSendRateLimit, `For security purposes, you can only request this after ${left} seconds.`);
  }
}

/** GoTrue's isOtpExpired: sent_at + [auth.email] otp_expiry is past. */
export function isOtpExpired(sentAt: Date | null, otpExpirySeconds: number): boolean {
  return sentAt === null || Date.now() > sentAt.getTime() + otpExpirySeconds * 1000;
}
