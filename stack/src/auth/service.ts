import bcrypt from 'bcryptjs';
import { createInternalDb } from '../postgres/internal-db.ts';
import type { ServiceFactory } from '../service-types.ts';
import type { AuthContext } from './context.ts';
import { createMailer } from './mailer.ts';
import { authFetchHandler } from './mount.ts';
import { loadAuthSettings } from './settings.ts';

/** bcrypt cost GoTrue uses (bcrypt.DefaultCost). */
const BCRYPT_COST = 10;

/**
 * /auth/v1 — Supabase Auth (GoTrue) for email users: password, refresh and PKCE grants,
 * sign-up, OTP/magic link, recovery, invitations, verify, user updates, logout, the
 * admin API, plus health/settings/jwks (docs/stack.md). Users and sessions live in the
 * auth schema; access tokens carry GoTrue's claims plus those of the custom access token
 * hook named in supabase/config.toml; emails go over SMTP to the mail catcher.
 */
export const startAuth: ServiceFactory = async (ctx) => {
  const settings = loadAuthSettings(ctx.config.supabaseConfigPath);
  const db = createInternalDb(ctx.dbUrl, ctx.log, { max: 4, applicationName: 'gotrue' });
  const verifyPassword = (plain: string, hash: string): Promise<boolean> =>
    bcrypt.compare(plain, hash).catch(() => false);
  const mailer = createMailer(settings, { host: ctx.config.host, port: ctx.config.smtpPort });
  const tctx: AuthContext = {
    sql: db, settings, jwtSecret: ctx.config.keys.jwtSecret, issuer: `${ctx.apiUrl}/auth/v1`, mailer,
    verifyPassword, hashPassword: (plain) => bcrypt.hash(plain, BCRYPT_COST),
  };

  return {
    name: 'auth',
    mounts: [{ prefix: '/auth/v1', fetch: authFetchHandler(tctx, ctx.log) }],
    async stop() { mailer.close(); await db.end(); },
  };
};
