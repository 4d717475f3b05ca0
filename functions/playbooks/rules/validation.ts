/**
 * The playbooks request (pure): one action on one playbook, validated with zod so a
 * bad field answers 400 with `details.errors[]` (`path` like `playbook.steps[2]`).
 *
 *  - create { org_id, playbook: { title, category, severities, tags?, summary, body, steps, slug? } }
 *  - update { id, playbook: { …any of the fields } }
 *  - retire / restore { id }: the org's own playbooks only
 *  - hide / unhide { org_id, playbook_id }: global playbooks only
 */
import { z } from 'zod';
import { CATEGORY_PATTERN } from '../../ingest-events/schema.ts';

export const PLAYBOOKS_MAX_BODY_BYTES = 64 * 1024;

export const PLAYBOOK_LIMITS = Object.freeze({
  titleChars: 200,
  summaryChars: 1000,
  bodyChars: 20_000,
  steps: 50,
  stepChars: 1000,
  tags: 20,
});

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,100}$/;
const TAG_PATTERN = /^[a-z0-9][a-z0-9_-]{0,49}$/;

const noNul = (s: string): boolean => !s.includes('\u0000');
const text = (min: number, max: number, what: string) => z.string().trim()
  .min(min, { message: min === 1 ? `${what} is required.` : `${what} needs at least ${min} characters.` })
  .max(max, { message: `${what} is longer than ${max} characters.` })
  .refine(noNul, { message: 'Contains a NUL character.' });
const uuid = z.uuid({ message: 'Must be a UUID.' });
const unique = <T>(xs: readonly T[]): boolean => new Set(xs).size === xs.length;

const fields = {
  title: text(3, PLAYBOOK_LIMITS.titleChars, 'The title'),
  slug: z.string().regex(SLUG_PATTERN, { message: 'Lower-case letters, digits and dashes, 2–101 characters.' }),
  category: z.string().regex(CATEGORY_PATTERN, { message: 'An event category: lower-case letters, digits and _.' }),
  severities: z.array(z.enum(SEVERITIES, { message: 'One of low, medium, high, critical.' }))
    .min(1, { message: 'Choose at least one severity.' })
    .refine(unique, { message: 'Each severity once.' }),
  tags: z.array(z.string().trim().toLowerCase().regex(TAG_PATTERN, { message: 'Lower-case letters, digits, - and _, up to 50 characters.' }))
    .max(PLAYBOOK_LIMITS.tags, { message: `At most ${PLAYBOOK_LIMITS.tags} tags.` })
    .refine(unique, { message: 'Each tag once.' }),
  summary: text(1, PLAYBOOK_LIMITS.summaryChars, 'The summary'),
  body: text(1, PLAYBOOK_LIMITS.bodyChars, 'The body'),
  steps: z.array(text(1, PLAYBOOK_LIMITS.stepChars, 'A step'))
    .min(1, { message: 'Give at least one step.' })
    .max(PLAYBOOK_LIMITS.steps, { message: `At most ${PLAYBOOK_LIMITS.steps} steps.` }),
};

const newPlaybook = z.strictObject({ ...fields, slug: fields.slug.optional(), tags: fields.tags.default([]) });
const playbookChange = z.strictObject(fields).partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'Change at least one field.' });

export const playbookRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('create'), org_id: uuid, playbook: newPlaybook }),
  z.strictObject({ action: z.literal('update'), id: uuid, playbook: playbookChange }),
  z.strictObject({ action: z.literal('retire'), id: uuid }),
  z.strictObject({ action: z.literal('restore'), id: uuid }),
  z.strictObject({ action: z.literal('hide'), org_id: uuid, playbook_id: uuid }),
  z.strictObject({ action: z.literal('unhide'), org_id: uuid, playbook_id: uuid }),
], { message: 'action must be one of create, update, retire, restore, hide, unhide.' });

export type PlaybookRequest = z.infer<typeof playbookRequestSchema>;
export type NewPlaybook = z.infer<typeof newPlaybook>;
export type PlaybookChange = z.infer<typeof playbookChange>;
export type PlaybookAction = PlaybookRequest['action'];

/** A slug from a title: `Flooded underpass (north)` → `flooded-underpass-north`. */
export function slugFromTitle(title: string): string {
  const s = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80).replace(/-+$/, '');
  return SLUG_PATTERN.test(s) ? s : `playbook-${s}`.replace(/-+$/, '');
}
