/** Helpers for the edge-function tests: signed tokens and requests. */
import { FunctionsHttpError, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { DEFAULT_JWT_SECRET } from '../../stack/src/keys.ts';

/** A signed HS256 access token with these claims (the local default secret unless given). */
export async function signToken(claims: Record<string, unknown>, secret = DEFAULT_JWT_SECRET, ttlSeconds = 3600): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

export function serviceToken(secret?: string): Promise<string> {
  return signToken({ role: 'service_role', iss: 'supabase-demo' }, secret);
}

export function anonToken(secret?: string): Promise<string> {
  return signToken({ role: 'anon', iss: 'supabase-demo' }, secret);
}

/** A user's token as the access-token hook issues it. */
export function userToken(userId: string, orgRoles: Record<string, string>, secret?: string): Promise<string> {
  return signToken({ sub: userId, role: 'authenticated', aud: 'authenticated', org_roles: orgRoles }, secret);
}

export function jsonRequest(url: string, body: unknown, token?: string, method = 'POST'): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Request(url, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

export async function call(handler: (req: Request) => Promise<Response>, req: Request): Promise<{ status: number; body: any }> {
  const res = await handler(req);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Call a deployed function the way clients do (supabase-js `functions.invoke`): the
 * status and parsed body, for a 2xx and for an error answer (FunctionsHttpError) alike.
 */
export async function invokeFunction(c: SupabaseClient, name: string, body: unknown): Promise<{ status: number; body: any }> {
  const { data, error } = await c.functions.invoke(name, { body: body as Record<string, unknown> });
  if (!error) return { status: 200, body: data };
  if (error instanceof FunctionsHttpError) {
    const res = error.context as Response;
    return { status: res.status, body: await res.json().catch(() => null) };
  }
  throw error;
}
