/**
 * Presence as Phoenix.Presence exposes it: per topic, per key, a list of metas (the
 * tracked payload plus `phx_ref`); clients get `presence_state` after joining and
 * `presence_diff` {joins, leaves} on every change. An update is a leave of the old
 * meta and a join of the new one carrying `phx_ref_prev`.
 */
import { randomBytes } from 'node:crypto';
import { encodeText, type Vsn } from './serializer.ts';
import { wsFrame, type WireFrame } from './ws-frame.ts';

export type Meta = Record<string, unknown> & { phx_ref: string; phx_ref_prev?: string };
export type PresenceList = Record<string, { metas: Meta[] }>;
export interface PresenceDiff { joins: PresenceList; leaves: PresenceList }

export interface PresenceMember {
  readonly uid: number;
  readonly topic: string;
  readonly vsn: Vsn;
  canReadPresence(): boolean;
  /** One complete WebSocket frame (ws-frame.ts), often the same Buffer on many sockets. */
  send(frame: WireFrame): void;
}

function newRef(): string {
  return randomBytes(12).toString('base64');
}

export class PresenceHub {
  /** hub key → presence key → member uid → meta */
  private readonly topics = new Map<string, Map<string, Map<number, Meta>>>();
  private readonly members = new Map<string, Set<PresenceMember>>();

  attach(key: string, m: PresenceMember): void {
    let set = this.members.get(key);
    if (!set) { set = new Set(); this.members.set(key, set); }
    set.add(m);
  }

  detach(key: string, m: PresenceMember): void {
    const set = this.members.get(key);
    if (!set) return;
    set.delete(m);
    if (set.size === 0) this.members.delete(key);
  }

  list(key: string): PresenceList {
    const out: PresenceList = {};
    const topic = this.topics.get(key);
    if (!topic) return out;
    for (const [pkey, metas] of topic) out[pkey] = { metas: [...metas.values()] };
    return out;
  }

  /** Track or update; returns the diff that was broadcast. */
  track(key: string, member: PresenceMember, presenceKey: string, payload: Record<string, unknown>): PresenceDiff {
    let topic = this.topics.get(key);
    if (!topic) { topic = new Map(); this.topics.set(key, topic); }
    let metas = topic.get(presenceKey);
    if (!metas) { metas = new Map(); topic.set(presenceKey, metas); }
    const old = metas.get(member.uid);
    const meta: Meta = { ...payload, phx_ref: newRef() };
    if (old) meta.phx_ref_prev = old.phx_ref;
    metas.set(member.uid, meta);
    const diff: PresenceDiff = { joins: { [presenceKey]: { metas: [meta] } }, leaves: {} };
    if (old) diff.leaves[presenceKey] = { metas: [old] };
    this.publish(key, diff);
    return diff;
  }

  /** Remove the member's meta for presenceKey (no-op when not tracked). */
  untrack(key: string, member: PresenceMember, presenceKey: string): void {
    const topic = this.topics.get(key);
    const metas = topic?.get(presenceKey);
    const old = metas?.get(member.uid);
    if (!topic || !metas || !old) return;
    metas.delete(member.uid);
    if (metas.size === 0) topic.delete(presenceKey);
    if (topic.size === 0) this.topics.delete(key);
    this.publish(key, { joins: {}, leaves: { [presenceKey]: { metas: [old] } } });
  }

  private publish(key: string, diff: PresenceDiff): void {
    const set = this.members.get(key);
    if (!set) return;
    const json = JSON.stringify(diff);
    const frames = new Map<string, WireFrame>();
    for (const m of set) {
      if (!m.canReadPresence()) continue;
      const variant = `${m.vsn}|${m.topic}`;
      let frame = frames.get(variant);
      if (frame === undefined) {
        frame = wsFrame(encodeText(m.vsn, null, null, m.topic, 'presence_diff', json));
        frames.set(variant, frame);
      }
      m.send(frame);
    }
  }
}
