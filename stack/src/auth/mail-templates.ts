import fs from 'node:fs';
import type { EmailKind, EmailTemplate } from './settings.ts';

/**
 * Supabase Auth's default subjects and bodies (supabase/auth internal/mailer/template.go),
 * rendered from [auth.email.template.<kind>] when config.toml names a subject or a
 * content_path, as the CLI passes them to Auth.
 */
export const DEFAULT_SUBJECTS: Record<EmailKind, string> = {
  invite: 'You have been invited',
  confirmation: 'Confirm Your Email',
  recovery: 'Reset Your Password',
  magic_link: 'Your Magic Link',
  email_change: 'Confirm Email Change',
  reauthentication: 'Confirm reauthentication',
};

export const DEFAULT_BODIES: Record<EmailKind, string> = {
  invite: `<h2>You have been invited</h2>

<p>You have been invited to create a user on {{ .SiteURL }}. Follow this link to accept the invite:</p>
<p><a href="{{ .ConfirmationURL }}">Accept the invite</a></p>
<p>Alternatively, enter the code: {{ .Token }}</p>`,
  confirmation: `<h2>Confirm your email</h2>

<p>Follow this link to confirm your email:</p>
<p><a href="{{ .ConfirmationURL }}">Confirm your email address</a></p>
<p>Alternatively, enter the code: {{ .Token }}</p>
`,
  recovery: `<h2>Reset password</h2>

<p>Follow this link to reset the password for your user:</p>
<p><a href="{{ .ConfirmationURL }}">Reset password</a></p>
<p>Alternatively, enter the code: {{ .Token }}</p>`,
  magic_link: `<h2>Magic Link</h2>

<p>Follow this link to login:</p>
<p><a href="{{ .ConfirmationURL }}">Log In</a></p>
<p>Alternatively, enter the code: {{ .Token }}</p>`,
  email_change: `<h2>Confirm email address change</h2>

<p>Follow this link to confirm the update of your email address from {{ .Email }} to {{ .NewEmail }}:</p>
<p><a href="{{ .ConfirmationURL }}">Change email address</a></p>
<p>Alternatively, enter the code: {{ .Token }}</p>`,
  reauthentication: `<h2>Confirm reauthentication</h2>

<p>Enter the code: {{ .Token }}</p>`,
};

/** The fields GoTrue gives its templates. */
export interface TemplateData {
  SiteURL: string;
  ConfirmationURL?: string;
  Email: string;
  NewEmail?: string;
  Token: string;
  TokenHash?: string;
  RedirectTo?: string;
  Data: Record<string, unknown>;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c] ?? c);
}

/**
 * `{{ .Field }}` and `{{ .Data.key }}` substitution with HTML escaping (Go's html/template
 * escapes them too). Go template actions beyond field lookups ({{ if }}, pipelines) are
 * not supported and are left as written.
 */
export function renderTemplate(template: string, data: TemplateData, opts: { html: boolean }): string {
  return template.replace(/\{\{-?\s*\.([A-Za-z]+)(?:\.([A-Za-z0-9_]+))?\s*-?\}\}/g, (whole, field: string, key: string | undefined) => {
    let v: unknown;
    if (field === 'Data') v = key === undefined ? data.Data : data.Data[key];
    else if (key === undefined) v = (data as unknown as Record<string, unknown>)[field];
    else return whole;
    const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return opts.html ? escapeHtml(s) : s;
  });
}

/** Subject and HTML body for one email kind. content_path is read at send time (edits apply at once). */
export function composeEmail(kind: EmailKind, template: EmailTemplate | undefined, data: TemplateData): { subject: string; html: string } {
  const body = template?.contentPath ? fs.readFileSync(template.contentPath, 'utf8') : DEFAULT_BODIES[kind];
  return {
    subject: renderTemplate(template?.subject ?? DEFAULT_SUBJECTS[kind], data, { html: false }),
    html: renderTemplate(body, data, { html: true }),
  };
}
