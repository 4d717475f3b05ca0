/**
 * The Supabase CLI's public local-development keys (supabase/cli pkg/config/apikeys.go).
 * They are published defaults, not secrets: anything written for `supabase start`
 * works against the embedded stack unchanged. Defined once, here.
 */
export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** HS256, claims exactly {iss:"supabase-demo", role:"anon", exp:1983812996}. */
export const DEFAULT_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';

/** HS256, claims exactly {iss:"supabase-demo", role:"service_role", exp:1983812996}. */
export const DEFAULT_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

/** Opaque keys; the gateway maps them to the JWTs above (Kong's behaviour). */
export const DEFAULT_PUBLISHABLE_KEY = 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH';
export const DEFAULT_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
}

export const DEFAULT_KEYS: StackKeys = {
  jwtSecret: DEFAULT_JWT_SECRET,
  anonKey: DEFAULT_ANON_KEY,
  serviceRoleKey: DEFAULT_SERVICE_ROLE_KEY,
  publishableKey: DEFAULT_PUBLISHABLE_KEY,
  secretKey: DEFAULT_SECRET_KEY,
};
