/**
 * Who is calling, from the request's access token.
 *
 * The functions run with `verify_jwt = true` (supabase/config.toml), so the platform's
 * gateway has already checked the token's signature and expiry before the function
 * sees the request (HS256 with the project secret or ES256/RS256 via JWKS). The
 * function is not given the JWT secret on hosted Supabase, so it does not re-verify:
 * it only *decodes* the claims (jose `decodeJwt`) and decides with them. A function
 * deployed with `--no-verify-jwt` must not use this module.
 *
 * Tenancy comes from the `org_roles` claim that `public.custom_access_token_hook`
 * adds: `{"<org uuid>": "viewer" | "operator" | "admin"}` — the same claim the RLS
 * policies read, so the functions and the database agree on who may do what.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import { HttpError } from './http.ts';
import { isMemberRole, roleAtLeast, type MemberRole } from './vocabulary.ts';

export interface Caller {
  /** service: the service_role key (the cron schedule, trusted back ends). */
  kind: 'service' | 'user' | 'anon';
  /** auth.users id (`sub`) for users. */
  userId: string | null;
  orgRoles: Readonly<Record<string, MemberRole>>;
  claims: JWTPayload;
}

/** Decode the bearer token into a Caller; 401 when there is none or it is not a JWT. */
export function callerFromRequest(req: Request): Caller {
  const header = req.headers.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new HttpError('auth_required', 'Send an access token as "Authorization: Bearer <jwt>".');
  let claims: JWTPayload;
  try {
    claims = decodeJwt(m[1]!);
  } catch {
    throw new HttpError('auth_required', 'The bearer token is not a JWT.');
  }
  const role = claims['role'];
  if (role === 'service_role') return { kind: 'service', userId: null, orgRoles: {}, claims };
  if (role === 'authenticated' && typeof claims.sub === 'string' && claims.sub) {
    const raw = claims['org_roles'];
    const orgRoles: Record<string, MemberRole> = {};
    if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
      for (const [org, r] of Object.entries(raw as Record<string, unknown>)) if (isMemberRole(r)) orgRoles[org] = r;
    }
    return { kind: 'user', userId: claims.sub, orgRoles, claims };
  }
  return { kind: 'anon', userId: null, orgRoles: {}, claims };
}

/**
 * Require at least `min` in `orgId`. The service role passes for every org. An
 * anonymous caller gets 401; a user who is not a member gets 404 (the org's existence
 * is not revealed); a member below `min` gets 403.
 */
export function requireOrgRole(caller: Caller, orgId: string, min: MemberRole): void {
  if (caller.kind === 'service') return;
  if (caller.kind === 'anon') throw new HttpError('auth_required', 'Sign in: the public (anon) key cannot do this.');
  const role = caller.orgRoles[orgId];
  if (!role) throw new HttpError('org_not_found', 'No such organisation.', { org_id: orgId });
  if (!roleAtLeast(role, min)) {
    throw new HttpError('forbidden', `This needs the ${min} role in the organisation; you are ${role}.`, { role, required: min });
  }
}

/** Whether the caller may see the org at all (service, or any membership). */
export function canSeeOrg(caller: Caller, orgId: string): boolean {
  return caller.kind === 'service' || (caller.kind === 'user' && orgId in caller.orgRoles);
}

/** The org a user means when they omit org_id: their only org with at least `min`. */
export function soleOrgWith(caller: Caller, min: MemberRole): string | null {
  const orgs = Object.entries(caller.orgRoles).filter(([, r]) => roleAtLeast(r, min));
  return orgs.length === 1 ? orgs[0]![0] : null;
}

/** Claims to set as request.jwt.claims when a statement runs as the user (RLS). */
export function claimsJson(caller: Caller): string {
  return JSON.stringify(caller.claims);
}
