/**
 * The feed-keys request (zod): `create { org_id, name, rate_limit_per_minute? }` or
 * `revoke { id }`; a bad field answers 400 with `details.errors[]` (`path: "name"`).
 */
import { z } from 'zod';

export const FEED_KEYS_MAX_BODY_BYTES = 16 * 1024;

/** Requests a minute a new key may make unless the admin sets another limit. */
export const DEFAULT_FEED_RATE_PER_MINUTE = 600;

const uuid = (what: string) => z.guid({ message: `Must be ${what} (uuid).` });

export const feedKeyRequestSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('create'),
    org_id: uuid('an organisation id'),
    name: z.string().trim().min(1, { message: 'A key needs a name, e.g. "CAD feed".' }).max(100, { message: 'At most 100 characters.' })
      .refine((s) => !s.includes('\u0000'), { message: 'Contains a NUL character.' }),
    rate_limit_per_minute: z.number().int().min(1).max(60_000).optional(),
  }),
  z.strictObject({
    action: z.literal('revoke'),
    id: uuid('a feed key id'),
  }),
], { message: 'action must be "create" or "revoke".' });

export type FeedKeyRequestParsed = z.infer<typeof feedKeyRequestSchema>;
