/**
 * Channel kinds: how a notification is formatted for a destination (pure). The worker
 * and the channels function know kinds only through this registry, so a new kind
 * (part 2: slack, teams, pagerduty, email) is one module added here.
 */
import type { Notification } from './types.ts';
import { webhookKind } from './webhook.ts';

export interface FormattedRequest {
  /** The raw body, sent byte for byte (and signed as is). */
  body: string;
  headers: Record<string, string>;
}

export interface ChannelKind {
  kind: string;
  /** Sign with `Hotwatch-Signature` (kinds whose receiver has its own auth do not). */
  signed: boolean;
  /** `secret` is the channel's secret (e.g. a PagerDuty routing key goes in the body). */
  format(n: Notification, secret: string): FormattedRequest;
}

export const CHANNEL_KINDS: Readonly<Record<string, ChannelKind>> = Object.freeze({
  [webhookKind.kind]: webhookKind,
});

export const KIND_NAMES = Object.keys(CHANNEL_KINDS) as [string, ...string[]];

export function channelKind(kind: string): ChannelKind | undefined {
  return Object.hasOwn(CHANNEL_KINDS, kind) ? CHANNEL_KINDS[kind] : undefined;
}
