/**
 * What the members function asks of Supabase Auth, through auth-js (the Auth client of supabase-js) with the
 * service role key (SUPABASE_SERVICE_ROLE_KEY, injected into every hosted function and
 * never sent to the browser). Auth sends every email itself, through the project's
 * SMTP and templates, so this works unchanged on hosted Supabase:
 *
 *  - a new address: `auth.admin.inviteUserByEmail` — Auth's invitation email, whose link
 *    creates the account and signs the invitee in (POST /invite);
 *  - an address with a confirmed account (Auth answers 422 `email_exists`):
 *    `auth.signInWithOtp({ shouldCreateUser: false })` — Auth's magic-link email; the
 *    link signs them in, and signing in accepts the invitation;
 *  - the immediate cut-off: `auth.admin.updateUserById(id, { ban_duration })` — Auth
 *    refuses the banned user's refresh and /user from then on.
 */
import { AuthClient, type AuthError } from '@supabase/auth-js';
import { HttpError } from '../_shared/http.ts';
import type { InvitationRecord } from '../_shared/contract.ts';

export interface InviteEmail {
  email: string;
  /** Where the link lands (Auth falls back to site_url for a URL it does not allow). */
  redirectTo?: string;
  /** display_name for a new account's user_metadata. */
  name?: string;
}

export interface AuthAdmin {
  /** Have Auth email the address a link; which kind it sent. */
  sendInvitation(m: InviteEmail): Promise<InvitationRecord['link_type']>;
  ban(userId: string, duration: string): Promise<void>;
}

function failed(what: string, e: AuthError): HttpError {
  return new HttpError('unavailable', `Auth could not ${what}: ${e.message}`, { auth_status: e.status ?? null, auth_code: e.code ?? null });
}

export function supabaseAuthAdmin(url: string, serviceRoleKey: string): AuthAdmin {
  // auth-js alone (supabase-js's Auth client): nothing else of supabase-js is needed here.
  const auth = new AuthClient({
    url: `${url.replace(/\/$/, '')}/auth/v1`,
    headers: { apikey: serviceRoleKey, Authorization: `Bearer ${serviceRoleKey}` },
    persistSession: false, autoRefreshToken: false, detectSessionInUrl: false,
  });
  return {
    async sendInvitation({ email, redirectTo, name }) {
      const invited = await auth.admin.inviteUserByEmail(email, { redirectTo, data: name ? { display_name: name } : undefined });
      if (!invited.error) return 'invite';
      if (invited.error.code !== 'email_exists') throw failed('send the invitation', invited.error);
      const otp = await auth.signInWithOtp({ email, options: { shouldCreateUser: false, emailRedirectTo: redirectTo } });
      if (otp.error) throw failed('send the sign-in link', otp.error);
      return 'magiclink';
    },
    async ban(userId, duration) {
      const { error } = await auth.admin.updateUserById(userId, { ban_duration: duration });
      if (error) throw failed('ban the account', error);
    },
  };
}
