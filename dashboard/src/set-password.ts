/**
 * The set-password page that Auth's invitation and recovery links open: the link lands
 * on the dashboard signed in (supabase-js takes the session from the URL fragment), and
 * this form sets the account's password with `auth.updateUser({ password })`.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { h } from './dom.ts';

/** What a link's fragment says it is (read before supabase-js consumes it). */
export function linkTypeOf(hash: string): string | null {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  return p.has('access_token') ? p.get('type') : null;
}

/** Links after which the person chooses a password. */
export const SETS_PASSWORD = new Set(['invite', 'recovery']);

export function setPasswordView(supabase: SupabaseClient, opts: { email: string; invited: boolean; minLength: number; onDone(): void }): HTMLElement {
  const password = h('input', { id: 'new-password', name: 'new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: opts.minLength });
  const confirm = h('input', { id: 'confirm-password', name: 'confirm-password', type: 'password', autocomplete: 'new-password', required: true, minlength: opts.minLength });
  const error = h('p', { class: 'error', role: 'alert', id: 'password-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set password');
  const form = h('form', { class: 'signin-form', 'aria-labelledby': 'password-title' },
    h('h1', { id: 'password-title' }, opts.invited ? 'Welcome to Hotwatch' : 'Choose a new password'),
    h('p', { class: 'muted' }, `Signed in as ${opts.email}. Choose a password of at least ${opts.minLength} characters to sign in with from now on.`),
    h('label', { for: 'new-password' }, 'New password'), password,
    h('label', { for: 'confirm-password' }, 'Repeat the password'), confirm,
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    if (password.value !== confirm.value) {
      error.textContent = 'The two passwords differ.';
      confirm.select();
      return;
    }
    submit.disabled = true;
    try {
      const { error: err } = await supabase.auth.updateUser({ password: password.value });
      if (err) {
        error.textContent = err.message;
        return;
      }
      opts.onDone();
    } catch (e2) {
      error.textContent = `Cannot reach the server: ${e2 instanceof Error ? e2.message : String(e2)}`;
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => password.focus());
  return h('main', { class: 'signin' }, form);
}
