import path from 'node:path';
import { bool, num, readSupabaseConfig, str, SUPABASE_CONFIG_PATH, table, type TomlTable } from '../supabase-config.ts';

/** One [auth.email.template.<kind>] entry: subject and/or content_path (relative to supabase/). */
export interface EmailTemplate { subject?: string; contentPath?: string }
export type EmailKind = 'invite' | 'confirmation' | 'recovery' | 'magic_link' | 'email_change' | 'reauthentication';
const EMAIL_KINDS: EmailKind[] = ['invite', 'confirmation', 'recovery', 'magic_link', 'email_change', 'reauthentication'];

/** [auth.email.smtp] when enabled: a real SMTP server instead of the local catcher. */
export interface SmtpSettings { host: string; port: number; user?: string; pass?: string; adminEmail: string; senderName: string }

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
  /** [auth] site_url: the default redirect after a link (GOTRUE_SITE_URL). */
  siteUrl: string;
  /** [auth] additional_redirect_urls: GOTRUE_URI_ALLOW_LIST, glob patterns. */
  additionalRedirectUrls: string[];
  /** [auth] enable_signup = false is GOTRUE_DISABLE_SIGNUP. */
  signupEnabled: boolean;
  /** [auth.email] enable_signup = false is GOTRUE_EXTERNAL_EMAIL_ENABLED=false. */
  emailProviderEnabled: boolean;
  /** Not [auth.email] enable_confirmations: GOTRUE_MAILER_AUTOCONFIRM. */
  mailerAutoconfirm: boolean;
  /** [auth.email] double_confirm_changes: GOTRUE_MAILER_SECURE_EMAIL_CHANGE_ENABLED. */
  secureEmailChange: boolean;
  /** [auth.email] secure_password_change: GOTRUE_SECURITY_UPDATE_PASSWORD_REQUIRE_REAUTHENTICATION. */
  securePasswordChange: boolean;
  /** [auth.email] otp_expiry, seconds (GOTRUE_MAILER_OTP_EXP). */
  otpExpiry: number;
  /** [auth.email] otp_length (GOTRUE_MAILER_OTP_LENGTH). */
  otpLength: number;
  /** [auth.email] max_frequency, seconds: per-user gap between emails of one kind (GOTRUE_SMTP_MAX_FREQUENCY). */
  maxFrequency: number;
  /** [auth.rate_limit] email_sent: emails per hour for the whole project (GOTRUE_RATE_LIMIT_EMAIL_SENT). */
  emailSentPerHour: number;
  /** [auth] minimum_password_length (GOTRUE_PASSWORD_MIN_LENGTH). */
  minimumPasswordLength: number;
  templates: Partial<Record<EmailKind, EmailTemplate>>;
  smtp?: SmtpSettings;
}

/** Parse pg-functions://<db>/<schema>/<function> as GoTrue does. */
export function parseHookUri(uri: string): { schema: string; fn: string } {
  const m = /^pg-functions:\/\/[^/]+\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m?.[1] || !m[2]) throw new Error(`unsupported auth hook uri "${uri}" (only pg-functions://<db>/<schema>/<function>)`);
  return { schema: m[1], fn: m[2] };
}

/** Go durations as the CLI writes them ("1s", "1m30s", "60s"), in seconds. */
export function parseDurationSeconds(v: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of v.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    matched += m[0];
  }
  if (matched === '' || matched !== v.trim()) throw new Error(`config.toml: "${v}" is not a duration like "1s" or "1m"`);
  return total;
}

/** `env(NAME)` values, as the CLI substitutes them. */
function envValue(v: string | undefined): string | undefined {
  const m = v === undefined ? null : /^env\((\w+)\)$/.exec(v);
  return m?.[1] ? process.env[m[1]] : v;
}

function templates(email: TomlTable | undefined, configDir: string): Partial<Record<EmailKind, EmailTemplate>> {
  const t = table(email, 'template');
  const out: Partial<Record<EmailKind, EmailTemplate>> = {};
  for (const kind of EMAIL_KINDS) {
    const entry = table(t, kind);
    if (!entry) continue;
    const contentPath = str(entry, 'content_path');
    // The CLI resolves content_path against the project directory (the one holding supabase/).
    out[kind] = { subject: str(entry, 'subject'), contentPath: contentPath ? path.resolve(configDir, '..', contentPath) : undefined };
  }
  return out;
}

export function loadAuthSettings(file?: string): AuthSettings {
  const configPath = file ?? SUPABASE_CONFIG_PATH;
  const config = readSupabaseConfig(configPath);
  const configDir = path.dirname(configPath);
  const auth = table(config, 'auth');
  const email = table(auth, 'email');
  const hook = table(table(auth, 'hook'), 'custom_access_token');
  const smtp = table(email, 'smtp');
  const uri = str(hook, 'uri');
  const urls = auth?.additional_redirect_urls;
  return {
    jwtExpiry: num(auth, 'jwt_expiry') ?? 3600,
    refreshTokenRotation: bool(auth, 'enable_refresh_token_rotation') ?? true,
    refreshTokenReuseInterval: num(auth, 'refresh_token_reuse_interval') ?? 10,
    customAccessTokenHook: bool(hook, 'enabled') && uri ? { uri, ...parseHookUri(uri) } : undefined,
    audience: 'authenticated',
    // Defaults: the CLI's config template (supabase/cli pkg/config/templates/config.toml).
    siteUrl: str(auth, 'site_url') ?? 'http://127.0.0.1:3000',
    additionalRedirectUrls: Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string') : ['https://127.0.0.1:3000'],
    signupEnabled: bool(auth, 'enable_signup') ?? true,
    emailProviderEnabled: bool(email, 'enable_signup') ?? true,
    mailerAutoconfirm: !(bool(email, 'enable_confirmations') ?? false),
    secureEmailChange: bool(email, 'double_confirm_changes') ?? true,
    securePasswordChange: bool(email, 'secure_password_change') ?? false,
    otpExpiry: num(email, 'otp_expiry') ?? 3600,
    otpLength: num(email, 'otp_length') ?? 6,
    maxFrequency: parseDurationSeconds(str(email, 'max_frequency') ?? '1s'),
    emailSentPerHour: num(table(auth, 'rate_limit'), 'email_sent') ?? 2,
    minimumPasswordLength: num(auth, 'minimum_password_length') ?? 6,
    templates: templates(email, configDir),
    smtp: smtp && (bool(smtp, 'enabled') ?? true) && str(smtp, 'host') ? {
      host: str(smtp, 'host') ?? '',
      port: num(smtp, 'port') ?? 587,
      user: envValue(str(smtp, 'user')),
      pass: envValue(str(smtp, 'pass')),
      adminEmail: str(smtp, 'admin_email') ?? 'admin@email.com',
      senderName: str(smtp, 'sender_name') ?? '',
    } : undefined,
  };
}
