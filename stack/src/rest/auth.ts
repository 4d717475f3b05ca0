import { compactVerify, errors as joseErrors } from 'jose';
import { jwtClaims, jwtDecode, jwtTokenRequired, type Json } from './errors.ts';

/**
 * JWT → role and claims, as PostgREST v14 does (Auth.hs, Auth/Jwt.hs): the token
 * from `Authorization: Bearer …` (scheme case-insensitive) is verified against the
 * HMAC secret (HS256/384/512); `exp`/`nbf`/`iat` are checked with 30 s of skew and
 * `aud` must be a string or an array; the role is the `role` claim, else db-anon-role.
 * No token ⇒ the anonymous role with claims {"role": anon}. Claims reach
 * `request.jwt.claims` as sent (custom claims such as `org_roles` untouched), with
 * `role` set to the role in effect.
 */

export interface AuthResult {
  role: string;
  claims: Record<string, Json>;
  /** The role is not the anonymous role (decides 401 vs 403 for 42501). */
  authed: boolean;
}

/** Seconds of clock skew PostgREST allows for exp/nbf/iat. */
export const JWT_SKEW_SECONDS = 30;
/** Verified signatures kept (token → claims) so repeated tokens skip HMAC verification. */
export const JWT_CACHE_ENTRIES = 1000;

const ALGORITHMS = ['HS256', 'HS384', 'HS512'];

export class JwtVerifier {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, Record<string, Json>>();

  constructor(secret: string, private readonly anonRole: string | null) {
    this.key = new TextEncoder().encode(secret);
  }

  /** @param authorization the Authorization header, if any */
  async authenticate(authorization: string | undefined): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (token === undefined) return this.roleFrom({});
    const claims = await this.verify(token);
    checkClaims(claims, Math.floor(Date.now() / 1000));
    return this.roleFrom(claims);
  }

  private roleFrom(claims: Record<string, Json>): AuthResult {
    const claim = claims.role;
    const role = claim === undefined || claim === null ? this.anonRole
      : typeof claim === 'string' ? claim : JSON.stringify(claim);
    if (role === null) throw jwtTokenRequired();
    return { role, claims: { ...claims, role }, authed: role !== this.anonRole };
  }

  private async verify(token: string): Promise<Record<string, Json>> {
    if (token === '') throw jwtDecode('Empty JWT is sent in Authorization header');
    const parts = token.split('.').length;
    if (parts !== 3) throw jwtDecode(`Expected 3 parts in JWT; got ${parts}`);
    const cached = this.cache.get(token);
    if (cached) return cached;
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, this.key, { algorithms: ALGORITHMS }));
    } catch (e) {
      if (e instanceof joseErrors.JOSEAlgNotAllowed || e instanceof joseErrors.JOSENotSupported) {
        throw jwtDecode('No suitable key or wrong key type', 'None of the keys was able to decode the JWT');
      }
      throw jwtDecode('JWT cryptographic operation failed');
    }
    let claims: unknown;
    try { claims = JSON.parse(new TextDecoder().decode(payload)); } catch { claims = undefined; }
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw jwtClaims('Parsing claims failed');
    const obj = claims as Record<string, Json>;
    if (this.cache.size >= JWT_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, obj);
    return obj;
  }
}

/** The token of a Bearer Authorization header; undefined for none or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const m = /^bearer(?:\s+(.*))?$/is.exec(authorization.trim());
  if (!m) return undefined;
  return (m[1] ?? '').trim();
}

/** exp, nbf, iat and aud checks, first failure wins, in PostgREST's order. */
export function checkClaims(claims: Record<string, Json>, now: number): void {
  const num = (key: string, message: string): number | undefined => {
    const v = claims[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') throw jwtClaims(message);
    return Math.trunc(v);
  };
  const exp = num('exp', "The JWT 'exp' claim must be a number");
  if (exp !== undefined && now - JWT_SKEW_SECONDS > exp) throw jwtClaims('JWT expired');
  const nbf = num('nbf', "The JWT 'nbf' claim must be a number");
  if (nbf !== undefined && now + JWT_SKEW_SECONDS < nbf) throw jwtClaims('JWT not yet valid');
  const iat = num('iat', "The JWT 'iat' claim must be a number");
  if (iat !== undefined && now + JWT_SKEW_SECONDS < iat) throw jwtClaims('JWT issued at future');
  const aud = claims.aud;
  if (aud !== undefined && aud !== null && typeof aud !== 'string'
    && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    throw jwtClaims("The JWT 'aud' claim must be a string or an array of strings");
  }
}
