/**
 * One WebSocket connection speaking the Phoenix protocol: decodes frames (vsn 1.0.0 or
 * 2.0.0), answers heartbeats, routes channel events, replaces a channel on a duplicate
 * join, replies "unmatched topic" for topics it does not have, and protects the server:
 * a malformed frame closes only this socket (1007), a socket whose send buffer exceeds
 * the limit is disconnected as a slow consumer (1008). ws parses what arrives and runs
 * the handshake and close; what goes out is pre-encoded frames (ws-frame.ts) written to
 * the TCP socket, gathered until the tick ends so a batch of frames leaves in one write.
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { Channel, type ChannelSocket } from './channel.ts';
import { CLOSE_CODES, EVENTS, PHOENIX_TOPIC, reason, TOPIC_PREFIX } from './constants.ts';
import type { RealtimeContext } from './context.ts';
import { DecodeError, decodeFrame, encodeReply, encodeText, type InboundMessage, type Ref, type Vsn } from './serializer.ts';
import { wsFrame, type WireFrame } from './ws-frame.ts';

/** Sockets with frames gathered in this tick (one nextTick flushes them all). */
const flushing: Socket[] = [];

function flushAll(): void {
  for (const s of flushing.splice(0)) s.flush();
}

export class Socket implements ChannelSocket {
  readonly id: number;
  lastSeen = Date.now();
  private readonly channels = new Map<string, Channel>();
  private closed = false;
  /** Frames gathered in this tick, and their bytes. */
  private pending: WireFrame[] | null = null;
  private pendingBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under `ws` (from the upgrade): frames are written to it directly. */
    private readonly raw: Duplex,
    private readonly ctx: RealtimeContext,
    readonly vsn: Vsn,
    readonly connToken: string,
    readonly xHeaders: Record<string, string>,
    private readonly onClosed: (s: Socket) => void,
  ) {
    this.id = ctx.nextUid();
    ctx.metrics.connections++;
    ctx.metrics.connectionsTotal++;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', () => this.cleanup());
    ws.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        ctx.metrics.oversizedFrames++;
        ctx.log.warn('frame over the size limit; closing socket', { code: 'FrameTooLarge', limit: ctx.limits.maxFrameBytes });
      } else {
        ctx.log.warn('socket error', { code: 'SocketError', error: String(e) });
      }
      this.cleanup();
    });
  }

  isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  channelCount(): number {
    return this.channels.size;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let msg: InboundMessage;
    try {
      msg = decodeFrame(buf, isBinary, this.vsn);
    } catch (e) {
      this.ctx.metrics.malformedFrames++;
      const detail = e instanceof DecodeError ? e.message : String(e);
      this.ctx.log.warn('malformed frame; closing socket', { code: 'MalformedFrame', detail });
      this.close(CLOSE_CODES.malformedFrame, reason('MalformedFrame', detail).slice(0, 120));
      return;
    }
    try {
      this.route(msg);
    } catch (e) {
      this.ctx.log.error('error handling a frame', { code: 'UnknownErrorOnChannel', topic: msg.topic, event: msg.event, error: String(e) });
    }
  }

  private route(msg: InboundMessage): void {
    if (msg.topic === PHOENIX_TOPIC) {
      if (msg.event === EVENTS.heartbeat) this.reply(null, msg.ref, PHOENIX_TOPIC, 'ok', {});
      else this.unmatched(msg);
      return;
    }
    if (msg.event === EVENTS.join) {
      if (!msg.topic.startsWith(TOPIC_PREFIX) || msg.kind !== 'json') { this.unmatched(msg); return; }
      const existing = this.channels.get(msg.topic);
      existing?.supersede();
      const others = this.channels.size;
      const channel = new Channel(this, this.ctx, msg.topic, msg.joinRef ?? msg.ref);
      this.channels.set(msg.topic, channel);
      if (others >= this.ctx.limits.maxChannelsPerConnection) {
        void channel.refuse('ChannelRateLimitReached', msg.ref);
        return;
      }
      void channel.join(msg.payload, msg.ref);
      return;
    }
    const channel = this.channels.get(msg.topic);
    if (!channel) { this.unmatched(msg); return; }
    channel.handle(msg);
  }

  private unmatched(msg: InboundMessage): void {
    if (msg.ref !== null) this.reply(msg.joinRef, msg.ref, msg.topic, 'error', { reason: 'unmatched topic' });
  }

  /** One complete WebSocket frame, often the same Buffer on many sockets. */
  send(frame: WireFrame): void {
    if (!this.isOpen()) return;
    const buffered = this.raw.writableLength + this.pendingBytes;
    if (buffered + frame.length > this.ctx.limits.maxSendBufferBytes) {
      this.ctx.metrics.slowConsumerDisconnects++;
      this.ctx.log.warn('slow consumer: send buffer limit exceeded; disconnecting', {
        code: 'SlowConsumer', buffered, limit: this.ctx.limits.maxSendBufferBytes,
      });
      this.close(CLOSE_CODES.policyViolation, reason('SlowConsumer'), true);
      return;
    }
    this.pendingBytes += frame.length;
    if (this.pending) { this.pending.push(frame); return; }
    this.pending = [frame];
    if (flushing.push(this) === 1) process.nextTick(flushAll);
  }

  /** Write the frames gathered in this tick as one chunk. */
  flush(): void {
    const frames = this.pending;
    this.pending = null;
    this.pendingBytes = 0;
    if (!frames || this.ws.readyState !== this.ws.OPEN) return;
    this.raw.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  reply(joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: unknown): void {
    if (!this.isOpen()) return;
    this.send(wsFrame(encodeReply(this.vsn, joinRef, ref, topic, status, response)));
  }

  push(joinRef: Ref, topic: string, event: string, payload: unknown): void {
    if (!this.isOpen()) return;
    // Phoenix sends phx_close with ref = join_ref (so vsn 1 clients, which get no join_ref, can match it).
    const ref = event === EVENTS.close ? joinRef : null;
    this.send(wsFrame(encodeText(this.vsn, joinRef, ref, topic, event, JSON.stringify(payload ?? {}))));
  }

  release(channel: Channel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
  }

  disconnect(code: number, why: string): void {
    this.close(code, why);
  }

  /** Close the connection; `hard` also drops it when the client has not read the close frame within 5 s. */
  close(code: number, why: string, hard = false): void {
    if (this.closed) return;
    // Frames sent before the close go out before the close frame.
    this.flush();
    try {
      this.ws.close(code, why.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    if (hard) setTimeout(() => this.ws.terminate(), 5_000).unref();
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.metrics.connections--;
    for (const ch of [...this.channels.values()]) ch.dispose();
    this.channels.clear();
    this.onClosed(this);
  }
}
