/**
 * A join's payload read as Realtime reads it (config.broadcast/presence/private,
 * postgres_changes, access_token or user_token) and the join refusal with its error code.
 */
import { randomUUID } from 'node:crypto';
import { reason, type ErrorCode } from './constants.ts';
import { asObject, flexBool } from './context.ts';
import { usableToken } from './channel-token.ts';

export class JoinError extends Error {
  constructor(readonly code: ErrorCode, message?: string, readonly disconnect = false) {
    super(message ?? reason(code).slice(code.length + 2));
  }
}

export interface JoinConfig {
  isPrivate: boolean;
  selfBroadcast: boolean;
  ackBroadcast: boolean;
  presenceKey: string;
  presenceEnabled: boolean;
  pgBindings: Array<Record<string, unknown>>;
  /** The join's token, else the socket's (an sb_ API key is not a user token). */
  accessToken: string;
  replay: unknown;
  replicationReady: boolean;
}

export function joinConfig(rawPayload: unknown, connToken: string): JoinConfig {
  const payload = asObject(rawPayload);
  const config = asObject(payload.config);
  const broadcast = asObject(config.broadcast);
  const presence = asObject(config.presence);
  const token = payload.access_token ?? payload.user_token;
  return {
    isPrivate: flexBool(config.private),
    selfBroadcast: flexBool(broadcast.self),
    ackBroadcast: flexBool(broadcast.ack),
    presenceKey: typeof presence.key === 'string' && presence.key !== '' ? presence.key : randomUUID(),
    presenceEnabled: flexBool(presence.enabled),
    pgBindings: Array.isArray(config.postgres_changes)
      ? (config.postgres_changes as unknown[]).filter((b) => b !== null && b !== undefined).map((b) => asObject(b))
      : [],
    accessToken: usableToken(token) ? token : connToken,
    replay: broadcast.replay,
    replicationReady: flexBool(broadcast.replication_ready),
  };
}

/** config.broadcast.replay checked (private channels with broadcast read only), or undefined when not asked. */
export function replayParams(replay: unknown, isPrivate: boolean, broadcastRead: boolean, subTopic: string, maxMessages: number): { since: number; limit: number } | undefined {
  if (replay === undefined || replay === null) return undefined;
  if (!isPrivate) throw new JoinError('UnableToReplayMessages', 'Replay is not allowed for public channels');
  if (!broadcastRead) throw new JoinError('Unauthorized', `You do not have permissions to read from this Channel topic: ${subTopic}`);
  const r = asObject(replay);
  const since = r.since === undefined ? 0 : Number(r.since);
  const limit = r.limit === undefined ? maxMessages : Number(r.limit);
  if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit) || limit < 1 || limit > maxMessages) {
    throw new JoinError('UnableToReplayMessages', 'Replay params are not valid');
  }
  return { since, limit };
}
