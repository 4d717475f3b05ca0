/**
 * Outgoing WebSocket frames, encoded once and written as they are: a change seen by many
 * subscribers of one topic is one Buffer on every socket, and a delivery is one write of
 * one Buffer instead of ws's per-send header, two buffered writes and its bookkeeping.
 * The server never compresses (perMessageDeflate is off) or sends Blobs, so ws's sender
 * never queues and frames written here interleave safely with its own (close, pong).
 */

/** A complete RFC 6455 frame as a server sends it: FIN set, unmasked, one fragment. */
export type WireFrame = Buffer & { readonly __wireFrame: true };

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/** Text frames for strings, binary frames for Buffers (the protocol's vsn 2 binary kinds). */
export function wsFrame(data: string | Buffer): WireFrame {
  if (typeof data !== 'string') return wsFrameOf([data], true);
  const length = Buffer.byteLength(data);
  const frame = allocFrame(length, false);
  frame.write(data, frame.length - length, 'utf8');
  return frame;
}

/** A text (or binary) frame whose payload is `parts` one after the other, copied once. */
export function wsFrameOf(parts: readonly Buffer[], binary = false): WireFrame {
  let length = 0;
  for (const p of parts) length += p.length;
  const frame = allocFrame(length, binary);
  let at = frame.length - length;
  for (const p of parts) at += p.copy(frame, at);
  return frame;
}

/** A frame of `length` payload bytes with its header written; the payload is at the end. */
function allocFrame(length: number, binary: boolean): WireFrame {
  // §5.2: 7-bit length, or 126 + 16-bit, or 127 + 64-bit.
  const head = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + length);
  frame[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (head === 2) frame[1] = length;
  else if (head === 4) { frame[1] = 126; frame.writeUInt16BE(length, 2); }
  else { frame[1] = 127; frame.writeBigUInt64BE(BigInt(length), 2); }
  return frame as WireFrame;
}
