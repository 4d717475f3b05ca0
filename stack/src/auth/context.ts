import { randomBytes } from 'node:crypto';
import { AUTH_ERROR, AuthError, weakPassword } from './errors.ts';
import type { TokenContext } from './grants.ts';
import type { Mailer } from './mailer.ts';

/** Everything an Auth endpoint needs: the token context plus mail and password hashing. */
export interface AuthContext extends TokenContext {
  mailer: Mailer;
  hashPassword(plain: string): Promise<string>;
  verifyPassword(plain: string, hash: string): Promise<boolean>;
}

/** One request as the endpoints see it. */
export interface AuthRequest {
  /** The request's headers (fetch's Headers: lower-case names, repeats joined with ", "). */
  headers: Headers;
  url: URL;
  params: Record<string, unknown>;
  meta: { userAgent?: string; ip?: string };
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;

/** badoux/checkmail's ValidateFormat pattern, which GoTrue's validateEmail uses. */
const EMAIL_FORMAT = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** GoTrue's validateEmail (internal/api/mail.go): required, ≤ 255, format; lower-cased. */
export function validateEmail(email: string): string {
  if (email === '') throw new AuthError(400, AUTH_ERROR.validationFailed, 'An email address is required');
  if (email.length > 255) throw new AuthError(400, AUTH_ERROR.validationFailed, 'An email address is too long');
  if (!EMAIL_FORMAT.test(email)) throw new AuthError(400, AUTH_ERROR.validationFailed, 'Unable to validate email address: invalid format');
  return email.toLowerCase();
}

/** GoTrue's checkPasswordStrength with only the length rule ([auth] minimum_password_length). */
export function checkPasswordStrength(ctx: AuthContext, password: string): void {
  if ([...password].length < ctx.settings.minimumPasswordLength) throw weakPassword(ctx.settings.minimumPasswordLength);
}

/** A random throwaway password, as GoTrue's password.Generate(64, 10, …) for invited and magic-link users. */
export function temporaryPassword(): string {
  return randomBytes(48).toString('base64url');
}
