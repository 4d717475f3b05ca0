/**
 * Phoenix wire formats: vsn 1.0.0 (JSON objects), vsn 2.0.0 (JSON arrays
 * `[join_ref, ref, topic, event, payload]`) and the vsn 2 binary frames — kind 0 (push),
 * kind 3 (user broadcast push, client→server) and kind 4 (user broadcast, server→client).
 * Layouts as in supabase/realtime v2_serializer.ex and realtime-js serializer.ts.
 */

export type Vsn = '1.0.0' | '2.0.0';

export type Ref = string | null;

export interface JsonMessage {
  kind: 'json';
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: unknown;
}

/** Kind 0: a push whose payload is raw bytes. */
export interface BinaryPushMessage {
  kind: 'binary';
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: Buffer;
}

/** Kind 3: `channel.send({type:'broadcast', …})` from realtime-js on vsn 2. */
export interface UserBroadcastPush {
  kind: 'user-broadcast';
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: 'broadcast';
  userEvent: string;
  /** Metadata JSON text ('' when absent). */
  metadata: string;
  /** 0 = binary, 1 = JSON. */
  encoding: 0 | 1;
  payload: Buffer;
}

export type InboundMessage = JsonMessage | BinaryPushMessage | UserBroadcastPush;

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

function asRef(v: unknown, what: string): Ref {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new DecodeError(`${what} must be a string or null`);
}

function asName(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new DecodeError(`${what} must be a string`);
  return v;
}

/** Decode one client frame; throws DecodeError for anything malformed. */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): InboundMessage {
  if (isBinary) {
    if (vsn !== '2.0.0') throw new DecodeError('binary frames need vsn 2.0.0');
    return decodeBinary(data);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new DecodeError('frame is not valid JSON');
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length !== 5) throw new DecodeError('vsn 2.0.0 frames are [join_ref, ref, topic, event, payload]');
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return { kind: 'json', joinRef: asRef(joinRef, 'join_ref'), ref: asRef(ref, 'ref'), topic: asName(topic, 'topic'), event: asName(event, 'event'), payload };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DecodeError('vsn 1.0.0 frames are JSON objects');
  const o = parsed as Record<string, unknown>;
  return { kind: 'json', joinRef: asRef(o.join_ref, 'join_ref'), ref: asRef(o.ref, 'ref'), topic: asName(o.topic, 'topic'), event: asName(o.event, 'event'), payload: o.payload };
}

function decodeBinary(buf: Buffer): InboundMessage {
  const need = (n: number): void => { if (buf.length < n) throw new DecodeError('binary frame truncated'); };
  need(1);
  const kind = buf[0];
  if (kind === 0) {
    need(5);
    const lens = [buf[1]!, buf[2]!, buf[3]!, buf[4]!];
    let off = 5;
    const take = (n: number): string => { need(off + n); const s = buf.toString('utf8', off, off + n); off += n; return s; };
    const joinRef = take(lens[0]!); const ref = take(lens[1]!); const topic = take(lens[2]!); const event = take(lens[3]!);
    return { kind: 'binary', joinRef: joinRef || null, ref: ref || null, topic, event, payload: buf.subarray(off) };
  }
  if (kind === 3) {
    need(7);
    const joinRefLen = buf[1]!, refLen = buf[2]!, topicLen = buf[3]!, eventLen = buf[4]!, metaLen = buf[5]!, encoding = buf[6]!;
    if (encoding !== 0 && encoding !== 1) throw new DecodeError('unknown payload encoding');
    let off = 7;
    const take = (n: number): string => { need(off + n); const s = buf.toString('utf8', off, off + n); off += n; return s; };
    const joinRef = take(joinRefLen); const ref = take(refLen); const topic = take(topicLen);
    const userEvent = take(eventLen); const metadata = take(metaLen);
    return {
      kind: 'user-broadcast', joinRef: joinRef || null, ref: ref || null, topic, event: 'broadcast',
      userEvent, metadata, encoding, payload: buf.subarray(off),
    };
  }
  throw new DecodeError(`unsupported binary frame kind ${kind}`);
}

const q = (s: string): string => JSON.stringify(s);
const qRef = (r: Ref): string => (r === null ? 'null' : JSON.stringify(r));

/**
 * Encode a text frame. `payloadJson` is already-serialized JSON so fan-out can reuse
 * one serialization for many sockets. vsn 1 omits join_ref, as Phoenix's V1 serializer does.
 */
export function encodeText(vsn: Vsn, joinRef: Ref, ref: Ref, topic: string, event: string, payloadJson: string): string {
  if (vsn === '2.0.0') return `[${qRef(joinRef)},${qRef(ref)},${q(topic)},${q(event)},${payloadJson}]`;
  return `{"topic":${q(topic)},"event":${q(event)},"payload":${payloadJson},"ref":${qRef(ref)}}`;
}

/**
 * The bytes of a push around its payload, for fan-out that assembles frames from parts:
 * `head` + payload JSON + `tail` equals encodeText(vsn, null, null, topic, event, payload).
 * `payloadHead`/`payloadTail` fold a constant start and end of the payload in.
 */
export interface Envelope {
  readonly head: Buffer;
  readonly tail: Buffer;
}

export function pushEnvelope(vsn: Vsn, topic: string, event: string, payloadHead = '', payloadTail = ''): Envelope {
  // JSON escapes a NUL in the topic or event, so the only raw one is the marker.
  const [head, tail] = encodeText(vsn, null, null, topic, event, '\u0000').split('\u0000') as [string, string];
  return { head: Buffer.from(head + payloadHead, 'utf8'), tail: Buffer.from(payloadTail + tail, 'utf8') };
}

export function encodeReply(vsn: Vsn, joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: unknown): string {
  return encodeText(vsn, joinRef, ref, topic, 'phx_reply', `{"status":${q(status)},"response":${JSON.stringify(response ?? {})}}`);
}

/** Largest topic / event / metadata a kind-4 frame can carry (single length bytes). */
export const MAX_BINARY_FIELD = 255;

/** Kind 4 user broadcast, or undefined when a field is too long for its length byte. */
export function encodeUserBroadcast(topic: string, userEvent: string, metadataJson: string, encoding: 0 | 1, payload: Buffer): Buffer | undefined {
  const t = Buffer.from(topic, 'utf8');
  const e = Buffer.from(userEvent, 'utf8');
  const m = Buffer.from(metadataJson, 'utf8');
  if (t.length > MAX_BINARY_FIELD || e.length > MAX_BINARY_FIELD || m.length > MAX_BINARY_FIELD) return undefined;
  const out = Buffer.allocUnsafe(5 + t.length + e.length + m.length + payload.length);
  out[0] = 4; out[1] = t.length; out[2] = e.length; out[3] = m.length; out[4] = encoding;
  let off = 5;
  off += t.copy(out, off); off += e.copy(out, off); off += m.copy(out, off);
  payload.copy(out, off);
  return out;
}

/** Kind 3 frame as realtime-js builds it (tests and benchmark clients). */
export function encodeUserBroadcastPush(joinRef: string, ref: string, topic: string, userEvent: string, payload: Buffer, encoding: 0 | 1 = 1, metadata = ''): Buffer {
  const parts = [joinRef, ref, topic, userEvent, metadata].map((s) => Buffer.from(s, 'utf8'));
  const head = Buffer.from([3, parts[0]!.length, parts[1]!.length, parts[2]!.length, parts[3]!.length, parts[4]!.length, encoding]);
  return Buffer.concat([head, ...parts, payload]);
}
