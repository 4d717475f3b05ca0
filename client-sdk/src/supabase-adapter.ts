/**
 * Ports over supabase-js: opening one feed's channel and fetching resume pages.
 * The only file that knows realtime-js channel and PostgREST call shapes.
 */
import type { RealtimeChannel } from '@supabase/supabase-js';
import type { AuthBridge } from './auth.ts';
import { CHANNEL_STATUS, OPERATION, RESUME_FUNCTION } from './constants.ts';
import { errorFromHttp, HotwatchError, SDK_ERROR_CODES } from './errors.ts';
import type { ChannelHandlers, OpenChannel, OpenedChannel } from './feed.ts';
import { broadcastTopic, serverFilter, type FeedSpec } from './filters.ts';
import { parseResumePage, type FetchPage } from './resume.ts';
import type { SupabaseLike } from './supabase-types.ts';
import type { StreamName } from './types.ts';

let instances = 0;

export function channelOpener(client: SupabaseLike, auth: AuthBridge, broadcastReadiness: 'replication-ready' | 'subscribed'): OpenChannel {
  const instance = `${(++instances).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  let opened = 0;
  return (spec: FeedSpec<StreamName>, _join: number, handlers: ChannelHandlers): OpenedChannel => {
    let channel: RealtimeChannel | undefined;
    let closed = false;
    const ready = (async () => {
      await auth.beforeJoin();
      if (closed) return;
      await kickSocket(client);
      if (closed) return;
      channel = spec.transport === 'broadcast'
        ? broadcastChannel(client, spec, handlers, broadcastReadiness)
        : changesChannel(client, spec, handlers, `hotwatch:${spec.stream}:${instance}:${++opened}`);
      channel.on('system', {}, (payload: { extension?: unknown; status?: unknown; message?: unknown }) => handlers.onSystem(payload));
      channel.subscribe((status, err) => handlers.onStatus(status, err));
    })().catch((e: unknown) => handlers.onStatus(CHANNEL_STATUS.channelError, e instanceof Error ? e : new Error(String(e))));
    return {
      async close() {
        closed = true;
        await ready;
        if (channel) await client.removeChannel(channel);
      },
    };
  };
}

/**
 * Reconnect the socket now if it is down. realtime-js would retry on its own fixed
 * steps (1, 2, 5, 10 s) and ignores connect() while a dead connection is pending; the
 * SDK's rejoins already follow a jittered backoff, so each one also brings the socket
 * back. A live or connecting socket (shared with the app's other channels) is left alone.
 */
export async function kickSocket(client: SupabaseLike): Promise<void> {
  const rt = client.realtime;
  if (rt.isConnected() || rt.isConnecting()) return;
  await rt.disconnect();
  if (!rt.isConnected() && !rt.isConnecting()) rt.connect();
}

function changesChannel(client: SupabaseLike, spec: FeedSpec<StreamName>, handlers: ChannelHandlers, topic: string): RealtimeChannel {
  const filter = serverFilter(spec);
  // One binding for all operations: DELETE cannot happen on stream tables and is
  // dropped by the feed; a single binding halves the server's per-change RLS work.
  return client.channel(topic, { config: { private: false } }).on(
    'postgres_changes',
    { event: '*', schema: 'public', table: spec.stream, ...(filter ? { filter } : {}) },
    (payload: { eventType: string; new: unknown }) => handlers.onChange(payload.eventType, payload.new),
  );
}

function broadcastChannel(client: SupabaseLike, spec: FeedSpec<StreamName>, handlers: ChannelHandlers, readiness: 'replication-ready' | 'subscribed'): RealtimeChannel {
  const topic = broadcastTopic(spec);
  if (client.getChannels().some((c) => c.topic === `realtime:${topic}`)) {
    throw new HotwatchError(`Another channel on ${topic} is open on this client; one Hotwatch instance per client subscribes to it.`, { code: SDK_ERROR_CODES.channelError });
  }
  const ch = client.channel(topic, {
    config: { private: true, broadcast: { self: false, ack: false, ...(readiness === 'replication-ready' ? { replication_ready: true } : {}) } },
  });
  // Broadcast from Database: payload {record, old_record, operation, table, schema}.
  const onMessage = (msg: { event: string; payload?: { record?: unknown; operation?: unknown } }): void => {
    const op = typeof msg.payload?.operation === 'string' ? msg.payload.operation : msg.event;
    handlers.onChange(op, msg.payload?.record);
  };
  ch.on('broadcast', { event: OPERATION.insert }, onMessage);
  ch.on('broadcast', { event: OPERATION.update }, onMessage);
  return ch;
}

export function resumeFetcher(client: SupabaseLike, auth: AuthBridge): FetchPage {
  return async ({ stream, cursor, afterId, limit, signal }) => {
    let q = client.rpc(RESUME_FUNCTION, { p_stream: stream, p_cursor: cursor, p_after_id: afterId, p_limit: limit });
    const token = auth.restToken();
    if (token) q = q.setHeader('Authorization', `Bearer ${token}`);
    q = q.abortSignal(signal);
    const { data, error, status } = await q;
    if (error) {
      // status 0: the request never got an HTTP answer (network, abort).
      throw status > 0 ? errorFromHttp(status, error) : new HotwatchError(`stream_resume(${stream}) failed: ${error.message}`, { code: SDK_ERROR_CODES.network, details: { ...error } });
    }
    return parseResumePage(data);
  };
}
