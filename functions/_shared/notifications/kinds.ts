/**
 * Channel kinds: how a notification is formatted for a destination and what the
 * destination's configuration is (pure). The worker and the channels function know
 * kinds only through this registry; each kind is one module: webhook (Hotwatch's own
 * signed JSON), slack (Block Kit), teams (Adaptive Card via a Workflows webhook),
 * pagerduty (Events API v2), email (plain text + HTML over SMTP or an HTTP mail API).
 */
import type { z } from 'zod';
import { emailKind } from './email.ts';
import { pagerdutyKind } from './pagerduty.ts';
import { slackKind } from './slack.ts';
import { teamsKind } from './teams.ts';
import type { Notification, NotificationEvent } from './types.ts';
import { webhookKind } from './webhook.ts';

export interface FormattedRequest {
  /** The raw body, sent byte for byte (and signed as is). */
  body: string;
  headers: Record<string, string>;
}

/** What an admin configures for a channel; which fields a kind takes is its `config` schema. */
export interface ChannelConfig {
  url?: string;
  secret?: string;
  addresses?: string[];
}

interface KindCommon {
  kind: string;
  /** Validates a channel's configuration (field errors on url, secret, addresses). */
  config: z.ZodType<ChannelConfig>;
  /** URL schemes the channel's URL may use (http and https when absent). */
  schemes?: readonly string[];
  /** Events sent whatever the rule's `events` says (PagerDuty mirrors acknowledge/resolve, or incidents stay open). */
  mirrored?: readonly NotificationEvent[];
}

/** A kind delivered by an HTTP POST to the channel's URL. */
export interface HttpKind extends KindCommon {
  transport: 'http';
  /** Used when the channel gives no URL (PagerDuty's public endpoint). */
  defaultUrl?: string;
  /** Sign with `Hotwatch-Signature` (kinds whose receiver has its own auth do not). */
  signed: boolean;
  /** Generate a secret when none is given (shown once). */
  generatesSecret?: boolean;
  /** `secret` is the channel's secret (e.g. a PagerDuty routing key goes in the body). */
  format(n: Notification, secret: string): FormattedRequest;
  /** A failed answer's body in a few words for the delivery log (`invalid_payload`, PagerDuty's errors). */
  explain?(body: string): string;
}

export interface MailMessage {
  subject: string;
  text: string;
  html: string;
}

/** A kind delivered as an email (SMTP or an HTTP mail API, _shared/notifications/mail.ts). */
export interface MailKind extends KindCommon {
  transport: 'mail';
  compose(n: Notification): MailMessage;
}

export type ChannelKind = HttpKind | MailKind;

export const CHANNEL_KINDS: Readonly<Record<string, ChannelKind>> = Object.freeze({
  [webhookKind.kind]: webhookKind,
  [slackKind.kind]: slackKind,
  [teamsKind.kind]: teamsKind,
  [pagerdutyKind.kind]: pagerdutyKind,
  [emailKind.kind]: emailKind,
});

export const KIND_NAMES = Object.keys(CHANNEL_KINDS) as [string, ...string[]];

export function channelKind(kind: string): ChannelKind | undefined {
  return Object.hasOwn(CHANNEL_KINDS, kind) ? CHANNEL_KINDS[kind] : undefined;
}
