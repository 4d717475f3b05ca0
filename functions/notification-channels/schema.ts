/** notification-channels request bodies (zod); field errors via _shared/validation.ts. */
import { z } from 'zod';
import { KIND_NAMES } from '../_shared/notifications/kinds.ts';
import { ruleSchema } from '../_shared/notifications/rules.ts';
import { urlField } from '../_shared/notifications/config.ts';

// Which of url, secret and addresses a kind takes, and their rules, is the kind's own
// `config` schema (_shared/notifications/<kind>.ts), checked by the handler.

export const CHANNELS_MAX_BODY_BYTES = 64 * 1024;

const uuid = z.uuid();
const name = z.string().trim().min(1).max(200);
const url = urlField;
const secret = z.string().min(1).max(500);
const addresses = z.array(z.string().max(254)).max(50);
const id = z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,18}$/)]).transform(String);

export const channelRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('create'),
    org_id: uuid,
    kind: z.enum(KIND_NAMES),
    name,
    url: url.optional(),
    secret: secret.optional(),
    addresses: addresses.optional(),
    rule: ruleSchema.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    action: z.literal('update'),
    channel_id: uuid,
    name: name.optional(),
    url: url.optional(),
    secret: secret.optional(),
    addresses: addresses.optional(),
    rule: ruleSchema.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({ action: z.literal('delete'), channel_id: uuid }),
  z.strictObject({ action: z.literal('test'), channel_id: uuid }),
  z.strictObject({ action: z.literal('resend'), outbox_id: id }),
]);
export type ChannelRequest = z.infer<typeof channelRequestSchema>;
