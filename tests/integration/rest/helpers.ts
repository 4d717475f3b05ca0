import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { SignJWT } from 'jose';
import { inject } from 'vitest';
import WebSocket from 'ws';

/** Helpers for the REST suites: tokens, supabase-js clients and raw fetches through the gateway. */

export const stackInfo = (): ReturnType<typeof inject<'stack'>> => inject('stack');

export async function mintJwt(claims: Record<string, unknown>, opts: { expiresIn?: number; secret?: string; alg?: 'HS256' | 'HS384' | 'HS512' } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ exp: now + (opts.expiresIn ?? 3600), ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(opts.secret ?? stackInfo().jwtSecret));
}

/** A token as our access token hook issues it: authenticated, with org_roles. */
export function userJwt(userId: string, orgRoles: Record<string, string>): Promise<string> {
  return mintJwt({ sub: userId, role: 'authenticated', aud: 'authenticated', org_roles: orgRoles });
}

/** supabase-js with the anon key, optionally acting with a user token. */
/** An untyped client (scratch tables) that declares PostgREST 13+ features (maxAffected, isDistinct…). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClient = SupabaseClient<any, any, any, any, { PostgrestVersion: '13' }>;

export function client(token?: string, opts: { schema?: string } = {}): AnyClient {
  const info = stackInfo();
  return createClient(info.apiUrl, info.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    ...(token ? { global: { headers: { Authorization: `Bearer ${token}` } } } : {}),
    ...(opts.schema ? { db: { schema: opts.schema } } : {}),
  }) as unknown as AnyClient;
}

export function serviceClient(): AnyClient {
  const info = stackInfo();
  return createClient(info.apiUrl, info.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  }) as unknown as AnyClient;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** fetch against /rest/v1 with the anon key (and a token, if given). */
export async function rest(path: string, init: RequestInit & { token?: string; key?: string } = {}): Promise<RawResponse> {
  const info = stackInfo();
  const headers = new Headers(init.headers);
  if (!headers.has('apikey')) headers.set('apikey', init.key ?? info.anonKey);
  if (init.token && !headers.has('authorization')) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(`${info.apiUrl}/rest/v1${path}`, { ...init, headers });
  const text = await res.text();
  let json: unknown;
  try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** A unique, quoting-safe suffix for scratch object names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
