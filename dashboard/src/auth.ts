/**
 * Sign-in through supabase-js auth (email + password), and the operator's orgs and
 * roles read from the access token's `org_roles` claim (the custom access token hook
 * puts it there; RLS reads the same claim).
 */
import type { Session, SupabaseClient } from '@supabase/supabase-js';
import { h } from './dom.ts';
import type { Role } from './types.ts';

/** `{ "<org uuid>": "viewer" | "operator" | "admin" }` from a JWT, without verifying it (the server does). */
export function orgRolesFromToken(accessToken: string): Record<string, Role> {
  const part = accessToken.split('.')[1];
  if (!part) return {};
  try {
    const bin = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as { org_roles?: unknown };
    const roles = claims.org_roles;
    if (!roles || typeof roles !== 'object') return {};
    const out: Record<string, Role> = {};
    for (const [org, role] of Object.entries(roles as Record<string, unknown>)) {
      if (role === 'viewer' || role === 'operator' || role === 'admin') out[org] = role;
    }
    return out;
  } catch {
    return {};
  }
}

export function canOperate(role: Role | undefined): boolean {
  return role === 'operator' || role === 'admin';
}

/** Admins see the admin area (the server checks the same role on every admin call). */
export function canAdminister(role: Role | undefined): boolean {
  return role === 'admin';
}

/** The sign-in screen; resolves when the user is signed in. */
export function signInView(supabase: SupabaseClient, onSignedIn: (s: Session) => void): HTMLElement {
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const form = h('form', { class: 'signin-form', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Hotwatch'),
    h('p', { class: 'muted' }, 'Live operations dashboard. Sign in with your operator account.'),
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    error, submit,
    h('p', { class: 'muted small' }, 'Local demo: operator@northside.demo, password hotwatch-demo.'));
  const forgot = h('button', { type: 'button', class: 'link-btn', id: 'forgot-password' }, 'Forgot password?');
  const forgotStatus = h('p', { class: 'muted small', role: 'status', 'aria-live': 'polite', id: 'forgot-status' });
  forgot.addEventListener('click', async () => {
    // Auth's recovery email; its link opens this dashboard's set-password form.
    const address = email.value.trim();
    if (!address || !email.checkValidity()) {
      error.textContent = 'Enter your email address first, then choose "Forgot password?".';
      email.focus();
      return;
    }
    forgot.disabled = true;
    error.textContent = '';
    const { error: err } = await supabase.auth.resetPasswordForEmail(address, { redirectTo: `${location.origin}${location.pathname}` });
    forgot.disabled = false;
    if (err) error.textContent = err.message;
    else forgotStatus.textContent = `If ${address} has an account, a link to choose a new password is on its way.`;
  });
  form.append(forgot, forgotStatus);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const { data, error: err } = await supabase.auth.signInWithPassword({ email: email.value.trim(), password: password.value });
      if (err || !data.session) {
        error.textContent = err?.message === 'Invalid login credentials' ? 'Wrong email or password.' : (err?.message ?? 'Sign-in failed.');
        password.select();
        return;
      }
      onSignedIn(data.session);
    } catch (e2) {
      error.textContent = `Cannot reach the server: ${e2 instanceof Error ? e2.message : String(e2)}`;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  queueMicrotask(() => email.focus());
  return h('main', { class: 'signin' }, form);
}
