/**
 * Broadcast on a channel: a client's broadcast push (user-broadcast binary frame or JSON
 * message) as the message the hub fans out, and the replay of a private topic's stored
 * messages at join (config.broadcast.replay, meta {replayed, id}).
 */
import { reason } from './constants.ts';
import { asObject } from './context.ts';
import type { Db } from './db.ts';
import type { BroadcastMessage } from './hub.ts';
import type { InboundMessage } from './serializer.ts';

export type InboundBroadcast = { ok: true; msg: BroadcastMessage; size: number } | { ok: false; reason: string };

/** The broadcast a client sent, its payload size, or why it is malformed; undefined for other frames. */
export function inboundBroadcast(msg: InboundMessage): InboundBroadcast | undefined {
  if (msg.kind === 'user-broadcast') {
    const size = msg.payload.length;
    if (msg.encoding === 1) {
      const text = msg.payload.toString('utf8');
      try { JSON.parse(text); } catch { return { ok: false, reason: reason('MalformedFrame', 'broadcast payload is not valid JSON') }; }
      return { ok: true, size, msg: { event: msg.userEvent, json: text, userBroadcast: true } };
    }
    return { ok: true, size, msg: { event: msg.userEvent, binary: msg.payload, userBroadcast: true } };
  }
  if (msg.kind === 'json') {
    const raw = JSON.stringify(msg.payload ?? {});
    const event = asObject(msg.payload).event;
    return { ok: true, size: Buffer.byteLength(raw), msg: { event: typeof event === 'string' ? event : '', raw, userBroadcast: false } };
  }
  return undefined;
}

/** The private topic's broadcasts since `since` (ms), oldest first, at most `limit`. */
export async function replayMessages(sql: Db, subTopic: string, p: { since: number; limit: number }): Promise<Array<{ id: string; msg: BroadcastMessage }>> {
  const rows = await sql<{ id: string; event: string | null; payload: unknown; binary_payload: Buffer | null }>`
    select id, event, payload, binary_payload from (
      select id, event, payload, binary_payload, inserted_at from realtime.messages
       where topic = ${subTopic} and private is true and extension = 'broadcast'
         and inserted_at >= to_timestamp(${p.since / 1000}) at time zone 'utc'
       order by inserted_at desc limit ${p.limit}) m
     order by inserted_at`;
  return rows.map((r) => {
    const msg: BroadcastMessage = { event: r.event ?? '', meta: JSON.stringify({ replayed: true, id: r.id }), userBroadcast: true };
    if (r.binary_payload) msg.binary = r.binary_payload; else msg.json = JSON.stringify(r.payload);
    return { id: r.id, msg };
  });
}
