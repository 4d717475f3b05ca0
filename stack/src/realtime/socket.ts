/**
 * One WebSocket connection speaking the Phoenix protocol: decodes frames (vsn 1.0.0 or
 * 2.0.0), answers heartbeats, routes channel events, replaces a channel on a duplicate
 * join, replies "unmatched topic" for topics it does not have, and protects the server:
 * a malformed frame closes only this socket (1007), a socket whose send buffer exceeds
 * the limit is disconnected as a slow consumer (1008).
 */
import type { RawData, WebSocket } from 'ws';
import { Channel, type ChannelSocket } from './channel.ts';
import { CLOSE_CODES, EVENTS, PHOENIX_TOPIC, reason, TOPIC_PREFIX } from './constants.ts';
import type { RealtimeContext } from './context.ts';
import { DecodeError, decodeFrame, encodeReply, encodeText, type InboundMessage, type Ref, type Vsn } from './serializer.ts';

export class Socket implements ChannelSocket {
  readonly id: number;
  lastSeen = Date.now();
  private readonly channels = new Map<string, Channel>();
  private closed = false;
  private corked = false;

  constructor(
    private readonly ws: WebSocket,
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

  send(data: string | Buffer, binary = typeof data !== 'string'): void {
    if (!this.isOpen()) return;
    const size = typeof data === 'string' ? data.length : data.length;
    if (this.ws.bufferedAmount + size > this.ctx.limits.maxSendBufferBytes) {
      this.ctx.metrics.slowConsumerDisconnects++;
      this.ctx.log.warn('slow consumer: send buffer limit exceeded; disconnecting', {
        code: 'SlowConsumer', buffered: this.ws.bufferedAmount, limit: this.ctx.limits.maxSendBufferBytes,
      });
      this.close(CLOSE_CODES.policyViolation, reason('SlowConsumer'), true);
      return;
    }
    // Hold the socket's writes until this tick ends: a batch of frames → one writev.
    if (!this.corked) {
      const raw = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      if (raw) {
        this.corked = true;
        raw.cork();
        process.nextTick(() => { this.corked = false; raw.uncork(); });
      }
    }
    this.ws.send(data, { binary });
  }

  reply(joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: unknown): void {
    if (!this.isOpen()) return;
    this.send(encodeReply(this.vsn, joinRef, ref, topic, status, response));
  }

  push(joinRef: Ref, topic: string, event: string, payload: unknown): void {
    if (!this.isOpen()) return;
    // Phoenix sends phx_close with ref = join_ref (so vsn 1 clients, which get no join_ref, can match it).
    const ref = event === EVENTS.close ? joinRef : null;
    this.send(encodeText(this.vsn, joinRef, ref, topic, event, JSON.stringify(payload ?? {})));
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
