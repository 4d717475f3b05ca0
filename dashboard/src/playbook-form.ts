/**
 * The playbook form's values ⇄ the playbooks function's fields (pure): tags are
 * comma-separated, steps one per line; the server's field errors (`playbook.steps[2]`)
 * map back to the form control that holds them.
 */
import type { PlaybookFields, PlaybookRecord, Severity } from '@hotwatch/client';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The form's controls, by name. */
export type FormField = 'title' | 'category' | 'severities' | 'tags' | 'summary' | 'body' | 'steps';
export const FORM_FIELDS: readonly FormField[] = ['title', 'category', 'severities', 'tags', 'summary', 'body', 'steps'];

export interface FormValues {
  title: string;
  category: string;
  severities: Severity[];
  tags: string;
  summary: string;
  body: string;
  steps: string;
}

export const EMPTY_FORM: Readonly<FormValues> = Object.freeze({ title: '', category: '', severities: [], tags: '', summary: '', body: '', steps: '' });

export function fieldsFromForm(v: FormValues): PlaybookFields {
  return {
    title: v.title.trim(),
    category: v.category.trim(),
    severities: SEVERITIES.filter((s) => v.severities.includes(s)),
    tags: v.tags.split(',').map((t) => t.trim()).filter(Boolean),
    summary: v.summary.trim(),
    body: v.body.trim(),
    steps: v.steps.split('\n').map((s) => s.trim()).filter(Boolean),
  };
}

export function formFromPlaybook(p: Pick<PlaybookRecord, 'title' | 'category' | 'severities' | 'tags' | 'summary' | 'body' | 'steps'>): FormValues {
  return {
    title: p.title,
    category: p.category,
    severities: [...p.severities],
    tags: p.tags.join(', '),
    summary: p.summary,
    body: p.body,
    steps: (Array.isArray(p.steps) ? p.steps : []).map(String).join('\n'),
  };
}

/** The form control a server field error belongs to (`playbook.steps[2]` → steps), or null for the form as a whole. */
export function fieldOfError(path: string): FormField | null {
  const m = /^playbook\.([a-z]+)/.exec(path);
  const f = m?.[1] as FormField | undefined;
  return f && FORM_FIELDS.includes(f) ? f : null;
}
