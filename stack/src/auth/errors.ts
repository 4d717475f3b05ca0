/**
 * Supabase Auth (GoTrue) error codes used by this subset, from supabase/auth
 * internal/api/apierrors/errorcode.go. One registry; every error leaves through errorReply().
 */
export const AUTH_ERROR = {
  validationFailed: 'validation_failed',
  invalidCredentials: 'invalid_credentials',
  emailNotConfirmed: 'email_not_confirmed',
  phoneNotConfirmed: 'phone_not_confirmed',
  userBanned: 'user_banned',
  userNotFound: 'user_not_found',
  sessionNotFound: 'session_not_found',
  sessionExpired: 'session_expired',
  refreshTokenNotFound: 'refresh_token_not_found',
  refreshTokenAlreadyUsed: 'refresh_token_already_used',
  noAuthorization: 'no_authorization',
  badJwt: 'bad_jwt',
  badJson: 'bad_json',
  notFound: 'not_found',
  unexpectedFailure: 'unexpected_failure',
  unsupportedGrantType: 'unsupported_grant_type',
  signupDisabled: 'signup_disabled',
  emailProviderDisabled: 'email_provider_disabled',
  emailExists: 'email_exists',
  userAlreadyExists: 'user_already_exists',
  otpExpired: 'otp_expired',
  otpDisabled: 'otp_disabled',
  weakPassword: 'weak_password',
  samePassword: 'same_password',
  notAdmin: 'not_admin',
  overEmailSendRateLimit: 'over_email_send_rate_limit',
  flowStateNotFound: 'flow_state_not_found',
  phoneProviderDisabled: 'phone_provider_disabled',
  flowStateExpired: 'flow_state_expired',
  badCodeVerifier: 'bad_code_verifier',
  reauthenticationNeeded: 'reauthentication_needed',
  reauthenticationNotValid: 'reauthentication_not_valid',
} as const;
export type AuthErrorCode = (typeof AUTH_ERROR)[keyof typeof AUTH_ERROR];

export class AuthError extends Error {
  /** Extra body fields (weak_password: {reasons}) GoTrue adds to some errors. */
  extra?: Record<string, unknown>;
  constructor(readonly status: number, readonly code: AuthErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** GoTrue's WeakPasswordError for the length rule: 422 weak_password with its reasons. */
export function weakPassword(min: number): AuthError {
  const e = new AuthError(422, AUTH_ERROR.weakPassword, `Password should be at least ${min} characters.`);
  e.extra = { weak_password: { reasons: ['length'] } };
  return e;
}

/** The API version auth-js sends (X-Supabase-Api-Version) that switches the error shape. */
export const API_VERSION_2024_01_01 = '2024-01-01';

function requestApiVersion(headers: Headers): string | undefined {
  const s = headers.get('x-supabase-api-version') ?? undefined;
  return s !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : undefined;
}

/** An Auth answer before it becomes a web Response (mount.ts): status, JSON body (none: empty), headers. */
export interface AuthReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const jsonReply = (status: number, body: unknown, headers: Record<string, string> = {}): AuthReply => ({ status, body, headers });

/**
 * GoTrue's HandleResponseError: with X-Supabase-Api-Version ≥ 2024-01-01 (auth-js always
 * sends it) the body is {"code":"<error_code>","message":"…"} and the version is echoed;
 * otherwise the initial shape {"code":<status>,"error_code":"…","msg":"…"}.
 */
export function errorReply(headers: Headers, e: AuthError): AuthReply {
  const version = requestApiVersion(headers);
  if (version !== undefined && version >= API_VERSION_2024_01_01) {
    return jsonReply(e.status, { code: e.code, message: e.message, ...e.extra }, { 'x-supabase-api-version': API_VERSION_2024_01_01 });
  }
  return jsonReply(e.status, { code: e.status, error_code: e.code, msg: e.message, ...e.extra });
}
