import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AUTH_ERROR, AuthError } from './errors.ts';

/** Access token claims as GoTrue issues them (field order as its AccessTokenClaims struct). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  email: string;
  phone: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  role: string;
  aal: string;
  amr: Array<{ method: string; timestamp: number }>;
  session_id: string;
  is_anonymous: boolean;
}

/** HS256 with the project JWT secret, header {"alg":"HS256","typ":"JWT"} as GoTrue without signing keys. */
export async function signAccessToken(claims: Record<string, unknown>, secret: string): Promise<string> {
  return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

/** golang-jwt's wording, which GoTrue puts after "invalid JWT: unable to parse or verify signature, ". */
function goJwtReason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'token has invalid claims: token is expired';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid: signature is invalid';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `token has invalid claims: ${e.message}`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'token is unverifiable: signing method is invalid';
  return 'token is malformed: could not parse the token';
}

/** Verify a bearer token as GoTrue's requireAuthentication does (403 bad_jwt on failure). */
export async function verifyAccessToken(token: string, secret: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    return payload;
  } catch (e) {
    throw new AuthError(403, AUTH_ERROR.badJwt, `invalid JWT: unable to parse or verify signature, ${goJwtReason(e)}`);
  }
}

/** Opaque refresh token: 128 random bits, URL-safe. */
export function newRefreshToken(): string {
  return randomBytes(16).toString('base64url');
}
