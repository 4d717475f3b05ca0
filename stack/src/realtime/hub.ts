/**
 * Topic registry and Broadcast fan-out. Public and private channels of the same name
 * are separate topics (as Realtime's tenant topics are). One message is encoded at most
 * once per wire variant (vsn 1 text, vsn 2 text, vsn 2 binary kind 4) and that buffer
 * goes to every recipient.
 */
import { encodeText, encodeUserBroadcast, type Vsn } from './serializer.ts';
import type { Metrics } from './metrics.ts';
import { wsFrame, type WireFrame } from './ws-frame.ts';

/** What the hub needs from a joined channel. */
export interface HubMember {
  readonly uid: number;
  readonly topic: string;
  readonly vsn: Vsn;
  readonly isPrivate: boolean;
  /** False when a private channel may not read broadcasts (joined for presence only). */
  canReadBroadcast(): boolean;
  /** Database message ids already sent by replay (live copies are suppressed). */
  wasReplayed(id: string): boolean;
  /** One complete WebSocket frame (ws-frame.ts), often the same Buffer on many sockets. */
  send(frame: WireFrame): void;
}

export interface BroadcastMessage {
  event: string;
  /** The whole broadcast payload as JSON text, forwarded as-is (JSON pushes from clients). */
  raw?: string;
  /** JSON text of the user payload (JSON messages). */
  json?: string;
  /** Raw user payload (binary messages; vsn 1 clients cannot receive these). */
  binary?: Buffer;
  /** Metadata JSON text, e.g. {"id":"…"} for database messages. */
  meta?: string;
  /** Client kind-3 and database messages reach vsn 2 clients as kind-4 frames. */
  userBroadcast: boolean;
  /** Database message id (replay de-duplication). */
  dbId?: string;
}

export function hubKey(isPrivate: boolean, subTopic: string): string {
  return (isPrivate ? 'p:' : 'o:') + subTopic;
}

export class Hub {
  private readonly topics = new Map<string, Set<HubMember>>();

  constructor(private readonly metrics: Metrics) {}

  add(key: string, member: HubMember): void {
    let set = this.topics.get(key);
    if (!set) { set = new Set(); this.topics.set(key, set); }
    set.add(member);
  }

  remove(key: string, member: HubMember): void {
    const set = this.topics.get(key);
    if (!set) return;
    set.delete(member);
    if (set.size === 0) this.topics.delete(key);
  }

  members(key: string): ReadonlySet<HubMember> {
    return this.topics.get(key) ?? new Set();
  }

  /** Deliver a broadcast to every reader of the topic (except `from` unless self). */
  broadcast(key: string, msg: BroadcastMessage, from?: HubMember): number {
    const set = this.topics.get(key);
    if (!set) return 0;
    // One encoding per wire variant, shared as one Buffer by every recipient.
    const frames = new Map<string, WireFrame | null>();
    let sent = 0;
    for (const m of set) {
      if (m === from) continue;
      if (!m.canReadBroadcast()) continue;
      if (msg.dbId !== undefined && m.wasReplayed(msg.dbId)) continue;
      const variant = `${m.vsn}|${m.topic}`;
      let frame = frames.get(variant);
      if (frame === undefined) {
        const enc = encodeBroadcast(m.vsn, m.topic, msg);
        frame = enc === null ? null : wsFrame(enc);
        frames.set(variant, frame);
      }
      if (frame === null) continue;
      m.send(frame);
      sent++;
    }
    this.metrics.broadcasts += sent;
    return sent;
  }

  /** Push a pre-encoded event to all members (presence diffs). */
  each(key: string, fn: (m: HubMember) => void): void {
    const set = this.topics.get(key);
    if (set) for (const m of set) fn(m);
  }

  get size(): number {
    return this.topics.size;
  }
}

/** Encode one broadcast for a recipient's protocol; null when it cannot carry it. */
export function encodeBroadcast(vsn: Vsn, topic: string, msg: BroadcastMessage): string | Buffer | null {
  if (vsn === '2.0.0' && msg.userBroadcast) {
    const body = msg.json !== undefined ? Buffer.from(msg.json, 'utf8') : msg.binary ?? Buffer.alloc(0);
    const frame = encodeUserBroadcast(topic, msg.event, msg.meta ?? '', msg.json !== undefined ? 1 : 0, body);
    if (frame) return frame;
  }
  if (msg.raw !== undefined) return encodeText(vsn, null, null, topic, 'broadcast', msg.raw);
  if (msg.json === undefined) return null; // binary payloads need a vsn 2 binary frame
  const payload = `{"type":"broadcast","event":${JSON.stringify(msg.event)},"payload":${msg.json}${msg.meta ? `,"meta":${msg.meta}` : ''}}`;
  return encodeText(vsn, null, null, topic, 'broadcast', payload);
}
