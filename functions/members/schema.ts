/** The members request: one action on an org's roster or its invitations. */
import { z } from 'zod';

export const MEMBERS_MAX_BODY_BYTES = 16 * 1024;

const uuid = z.uuid({ message: 'Must be a UUID.' });
const role = z.enum(['viewer', 'operator', 'admin'], { message: 'role must be one of viewer, operator, admin.' });
const email = z.email({ message: 'Must be an email address.' }).max(320).transform((s) => s.trim().toLowerCase());
/** Where the emailed link lands (the dashboard's set-password page); Auth keeps only allowed URLs. */
const redirectTo = z.url({ protocol: /^https?$/, message: 'Must be an http(s) URL.' }).max(2000);
const name = z.string().trim().min(1).max(200).refine((s) => !s.includes('\u0000'), { message: 'Contains a NUL character.' });

export const membersSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('invite'), org_id: uuid, email, role, name: name.optional(), redirect_to: redirectTo.optional() }),
  z.strictObject({ action: z.literal('resend'), org_id: uuid, invitation_id: uuid, redirect_to: redirectTo.optional() }),
  z.strictObject({ action: z.literal('revoke'), org_id: uuid, invitation_id: uuid }),
  z.strictObject({ action: z.literal('change_role'), org_id: uuid, user_id: uuid, role }),
  z.strictObject({ action: z.literal('remove'), org_id: uuid, user_id: uuid, cut_off: z.boolean().optional() }),
  z.strictObject({ action: z.literal('accept') }),
], { message: 'action must be one of invite, resend, revoke, change_role, remove, accept.' });

export type ParsedMembersRequest = z.infer<typeof membersSchema>;
