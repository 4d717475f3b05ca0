/**
 * The notification destinations' documented request schemas, transcribed with zod from
 * their references (limits, required fields, enums), and their documented examples
 * (tests/fixtures/notifications/, sources in its README). Used by the kinds' unit test
 * and by the local receivers of the integration test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/notifications');
export const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

// --- Slack Block Kit (docs.slack.dev/reference/block-kit/blocks and composition objects) ---
const slackText = (max: number) => z.strictObject({ type: z.enum(['plain_text', 'mrkdwn']), text: z.string().min(1).max(max), emoji: z.boolean().optional(), verbatim: z.boolean().optional() });
const slackPlain = (max: number) => z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const blockId = z.string().max(255).optional();
const slackImage = z.strictObject({ type: z.literal('image'), image_url: z.url(), alt_text: z.string().max(2000) });
const slackButton = z.strictObject({
  type: z.literal('button'), text: slackPlain(75), action_id: z.string().max(255).optional(), url: z.url().max(3000).optional(),
  value: z.string().max(2000).optional(), style: z.enum(['primary', 'danger']).optional(),
});
const slackBlock = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: slackPlain(150), block_id: blockId }),
  z.strictObject({
    type: z.literal('section'), block_id: blockId, text: slackText(3000).optional(),
    fields: z.array(slackText(2000)).min(1).max(10).optional(), accessory: z.union([slackImage, slackButton]).optional(),
  }).refine((s) => s.text || s.fields, 'a section needs text or fields'),
  z.strictObject({ type: z.literal('actions'), block_id: blockId, elements: z.array(slackButton).min(1).max(25) }),
  z.strictObject({ type: z.literal('context'), block_id: blockId, elements: z.array(z.union([slackImage, slackText(3000)])).min(1).max(10) }),
  z.strictObject({ type: z.literal('divider'), block_id: blockId }),
]);
export const slackMessage = z.strictObject({ text: z.string().max(40_000).optional(), blocks: z.array(slackBlock).min(1).max(50) });

// --- Teams Workflows webhook: a message with one Adaptive Card (adaptivecards.io schema, 1.4+) ---
const cardElement = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('TextBlock'), text: z.string().min(1), wrap: z.boolean().optional(),
    weight: z.enum(['Default', 'Lighter', 'Bolder']).optional(), size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
    color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional() }),
  z.looseObject({ type: z.literal('FactSet'), facts: z.array(z.strictObject({ title: z.string(), value: z.string() })).min(1) }),
]);
const openUrl = z.looseObject({ type: z.literal('Action.OpenUrl'), title: z.string().optional(), url: z.url() });
export const teamsMessage = z.strictObject({
  type: z.literal('message'),
  attachments: z.array(z.strictObject({
    contentType: z.literal('application/vnd.microsoft.card.adaptive'),
    contentUrl: z.null().optional(),
    content: z.looseObject({
      $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json').optional(),
      type: z.literal('AdaptiveCard'),
      version: z.string().regex(/^1\.([4-9]|\d\d)$/),
      body: z.array(cardElement).min(1),
      actions: z.array(openUrl).optional(),
    }),
  })).length(1),
});

// --- PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event") ---
const pdLink = z.strictObject({ href: z.url(), text: z.string().optional() });
export const pdTrigger = z.strictObject({
  routing_key: z.string().length(32),
  event_action: z.literal('trigger'),
  dedup_key: z.string().max(255).optional(),
  payload: z.strictObject({
    summary: z.string().min(1).max(1024), source: z.string().min(1), severity: z.enum(['critical', 'error', 'warning', 'info']),
    timestamp: z.string().optional(), component: z.string().optional(), group: z.string().optional(), class: z.string().optional(),
    custom_details: z.record(z.string(), z.unknown()).optional(),
  }),
  client: z.string().optional(), client_url: z.url().optional(), links: z.array(pdLink).optional(),
  images: z.array(z.strictObject({ src: z.url(), href: z.url().optional(), alt: z.string().optional() })).optional(),
});
export const pdFollowUp = z.strictObject({ routing_key: z.string().length(32), event_action: z.enum(['acknowledge', 'resolve']), dedup_key: z.string().min(1).max(255) });

/** 'ok', or the issues as "path: message". */
export const parse = (schema: z.ZodType, body: unknown) => {
  const r = schema.safeParse(body);
  return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
