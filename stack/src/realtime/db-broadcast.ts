/**
 * Broadcast from Database: an insert on realtime.messages (or one of its partitions) becomes
 * the broadcast Realtime sends on the row's topic, with meta {id} (realtime.send / the
 * broadcast_changes trigger write these rows; the pipeline delivers them in commit order).
 */
import { hubKey, type BroadcastMessage } from './hub.ts';
import type { RowChange } from './replication.ts';

/** realtime.messages and its daily partitions. */
export function isMessagesTable(rel: { schema: string; name: string }): boolean {
  return rel.schema === 'realtime' && rel.name.startsWith('messages');
}

/** The broadcast a change on realtime.messages sends, if any (inserts only). */
export function changeBroadcast(change: RowChange): { key: string; msg: BroadcastMessage } | undefined {
  return change.kind === 'INSERT' && change.newTuple ? dbBroadcast(change.newTuple) : undefined;
}

/** A realtime.messages insert → the broadcast Realtime sends (meta {id}). */
export function dbBroadcast(row: Map<string, string | null>): { key: string; msg: BroadcastMessage } | undefined {
  const topic = row.get('topic');
  const event = row.get('event');
  const extension = row.get('extension');
  const id = row.get('id');
  if (!topic || event === undefined || event === null || extension !== 'broadcast' || !id) return undefined;
  if (row.get('skip_broadcast') === 't') return undefined;
  const isPrivate = row.get('private') === 't';
  const payload = row.get('payload');
  const binary = row.get('binary_payload');
  const msg: BroadcastMessage = { event, meta: JSON.stringify({ id }), userBroadcast: true, dbId: id };
  if (payload !== null && payload !== undefined) msg.json = payload;
  else if (binary !== null && binary !== undefined) msg.binary = Buffer.from(binary.replace(/^\\x/, ''), 'hex');
  else msg.json = 'null';
  return { key: hubKey(isPrivate, topic), msg };
}
