/** notification-channels request bodies (zod); field errors via _shared/validation.ts. */
import { z } from 'zod';
import { KIND_NAMES } from '../_shared/notifications/kinds.ts';
import { ruleSchema } from '../_shared/notifications/rules.ts';
import { MAX_URL_LENGTH } from '../_shared/notifications/target.ts';

export const CHANNELS_MAX_BODY_BYTES = 64 * 1024;

const uuid = z.uuid();
const name = z.string().trim().min(1).max(200);
const url = z.string().trim().min(1).max(MAX_URL_LENGTH);
/** A given secret must be long enough to resist guessing (Stripe's are 32 bytes). */
const secret = z.string().min(24).max(500);
const id = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,18}$/)]).transform(String);

export const channelRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('create'),
    org_id: uuid,
    kind: z.enum(KIND_NAMES),
    name,
    url,
    secret: secret.optional(),
    rule: ruleSchema.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    action: z.literal('update'),
    channel_id: uuid,
    name: name.optional(),
    url: url.optional(),
    secret: secret.optional(),
    rule: ruleSchema.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({ action: z.literal('delete'), channel_id: uuid }),
  z.strictObject({ action: z.literal('test'), channel_id: uuid }),
  z.strictObject({ action: z.literal('resend'), outbox_id: id }),
]);
export type ChannelRequest = z.infer<typeof channelRequestSchema>;
