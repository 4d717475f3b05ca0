import { compactVerify, errors } from 'jose';
import { reason, type ErrorCode } from './constants.ts';

export type Claims = Record<string, unknown> & { role: string; exp: number };

export type TokenResult =
  | { ok: true; claims: Claims }
  | { ok: false; code: ErrorCode; message: string; expired: boolean };

/**
 * Verify a Realtime access token as Supabase Realtime does (channels_authorization.ex):
 * HS256 with the project secret, `role` and `exp` claims required, expired when
 * `exp - now <= 0` ("Token has expired N seconds ago").
 */
export class TokenVerifier {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, Claims>();

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async verify(rawToken: unknown, nowSeconds = Math.floor(Date.now() / 1000)): Promise<TokenResult> {
    if (typeof rawToken !== 'string' || rawToken === '') return fail('MalformedJWT');
    // Realtime's clean_token strips whitespace first; we refuse such tokens, as REST does
    // (no client sends them, and a mangled token should not verify anywhere in the stack).
    const token = rawToken;
    let claims = this.cache.get(token);
    if (!claims) {
      let payload: unknown;
      try {
        const verified = await compactVerify(token, this.key, { algorithms: ['HS256'] });
        payload = JSON.parse(new TextDecoder().decode(verified.payload));
      } catch (e) {
        if (e instanceof errors.JWSSignatureVerificationFailed) return fail('JwtSignatureError');
        return fail('MalformedJWT');
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return fail('MalformedJWT');
      const p = payload as Record<string, unknown>;
      if (!('role' in p) || !('exp' in p)) return fail('InvalidJWTToken');
      if (typeof p.exp !== 'number' || !Number.isInteger(p.exp) || typeof p.role !== 'string') return fail('InvalidJWTToken');
      claims = p as Claims;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, claims);
    }
    const left = claims.exp - nowSeconds;
    if (left <= 0) return { ok: false, code: 'InvalidJWTToken', message: `Token has expired ${-left} seconds ago`, expired: true };
    return { ok: true, claims };
  }
}

function fail(code: ErrorCode): TokenResult {
  return { ok: false, code, message: reason(code).slice(code.length + 2), expired: false };
}

/** Milliseconds until the token must be re-checked (at exp, at most hourly, as Realtime). */
export function confirmDelayMs(claims: Claims, nowMs = Date.now()): number {
  return Math.max(0, Math.min(3_600_000, claims.exp * 1000 - nowMs));
}
