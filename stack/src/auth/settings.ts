import { bool, num, readSupabaseConfig, str, table } from '../supabase-config.ts';

/** The [auth] settings this subset honours, from supabase/config.toml (CLI defaults otherwise). */
export interface AuthSettings {
  /** Access token lifetime, seconds ([auth] jwt_expiry, default 3600). */
  jwtExpiry: number;
  /** [auth] enable_refresh_token_rotation (default true). */
  refreshTokenRotation: boolean;
  /** [auth] refresh_token_reuse_interval, seconds (default 10). */
  refreshTokenReuseInterval: number;
  /** [auth.hook.custom_access_token] when enabled: a pg-functions:// URI. */
  customAccessTokenHook?: { uri: string; schema: string; fn: string };
  /** The JWT audience GoTrue assigns (GOTRUE_JWT_AUD). */
  audience: string;
}

/** Parse pg-functions://<db>/<schema>/<function> as GoTrue does. */
export function parseHookUri(uri: string): { schema: string; fn: string } {
  const m = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m?.[1] || !m[2]) throw new Error(`unsupported auth hook uri "${uri}" (only pg-functions://<db>/<schema>/<function>)`);
  return { schema: m[1], fn: m[2] };
}

export function loadAuthSettings(file?: string): AuthSettings {
  const auth = table(readSupabaseConfig(file), 'auth');
  const hook = table(table(auth, 'hook'), 'custom_access_token');
  const uri = str(hook, 'uri');
  return {
    jwtExpiry: num(auth, 'jwt_expiry') ?? 3600,
    refreshTokenRotation: bool(auth, 'enable_refresh_token_rotation') ?? true,
    refreshTokenReuseInterval: num(auth, 'refresh_token_reuse_interval') ?? 10,
    customAccessTokenHook: bool(hook, 'enabled') && uri ? { uri, ...parseHookUri(uri) } : undefined,
    audience: 'authenticated',
  };
}
