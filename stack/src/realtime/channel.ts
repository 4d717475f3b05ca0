/**
 * One joined channel (`realtime:<name>`) on one socket: the join checks in Supabase
 * Realtime's order, the ok reply with binding ids, Postgres Changes registration
 * (before the reply), Broadcast (self/ack, private write checks), Presence, token
 * refresh and expiry, and graceful shutdown (system message + phx_close). The class holds
 * the channel's state and order of events; what each part decides lives beside it:
 * channel-join.ts (payload, replay params, refusals), channel-bindings.ts (Postgres
 * Changes checks), channel-broadcast.ts, channel-presence.ts, channel-token.ts.
 */
import { resolveBindings, warmCatalog } from './channel-bindings.ts';
import { inboundBroadcast, replayMessages } from './channel-broadcast.ts';
import { JoinError, joinConfig, replayParams } from './channel-join.ts';
import { PresenceCalls, presenceCall } from './channel-presence.ts';
import { lostRead, usableToken } from './channel-token.ts';
import { reason, TOPIC_PREFIX, type ErrorCode } from './constants.ts';
import { asObject, type RealtimeContext } from './context.ts';
import { encodeBroadcast, hubKey, type HubMember } from './hub.ts';
import { confirmDelayMs, type Claims } from './jwt.ts';
import type { PresenceMember } from './presence.ts';
import { readPolicies, writePolicy, type AuthorizationContext, type Policies } from './private-channels.ts';
import { groupKey, stableStringify, type ClaimPaths } from './policy-claims.ts';
import type { InboundMessage, Ref, Vsn } from './serializer.ts';
import { bindingId, type ChangeSubscriber, type PgSubscription } from './subscriptions.ts';
import { wsFrame, type WireFrame } from './ws-frame.ts';

/** What a channel needs from its socket. */
export interface ChannelSocket {
  readonly vsn: Vsn;
  readonly connToken: string;
  readonly xHeaders: Record<string, string>;
  isOpen(): boolean;
  /** One complete WebSocket frame (ws-frame.ts), often the same Buffer on many sockets. */
  send(frame: WireFrame): void;
  reply(joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: unknown): void;
  push(joinRef: Ref, topic: string, event: string, payload: unknown): void;
  /** The channel ended (left, closed, failed to join). */
  release(channel: Channel): void;
  /** Close the whole connection (joins/s limit). */
  disconnect(code: number, reason: string): void;
}

type State = 'joining' | 'joined' | 'closed';

export class Channel implements HubMember, PresenceMember, ChangeSubscriber {
  readonly uid: number;
  readonly subTopic: string;
  state: State = 'joining';
  isPrivate = false;
  private currentClaims!: Claims;
  private groupKeys = new Map<string, string>();
  private accessToken = '';
  private selfBroadcast = false;
  private ackBroadcast = false;
  private presenceKey = '';
  private presenceEnabled = false;
  private policies: Policies | null = null;
  private writeChecks = new Map<string, Promise<boolean>>();
  private subs: PgSubscription[] = [];
  private pgBindings: Array<Record<string, unknown>> = [];
  private pgError: string | undefined;
  private trackedPayload: string | undefined;
  private presenceCalls = new PresenceCalls();
  private replayed = new Set<string>();
  private timers = new Set<NodeJS.Timeout>();
  private confirmTimer: NodeJS.Timeout | undefined;
  private pending: Array<{ msg: InboundMessage }> = [];
  private key = '';

  constructor(private readonly socket: ChannelSocket, private readonly ctx: RealtimeContext, readonly topic: string, readonly joinRef: Ref) {
    this.uid = ctx.nextUid();
    this.subTopic = topic.startsWith(TOPIC_PREFIX) ? topic.slice(TOPIC_PREFIX.length) : topic;
  }

  get vsn(): Vsn {
    return this.socket.vsn;
  }

  get claims(): Claims {
    return this.currentClaims;
  }

  set claims(c: Claims) {
    this.currentClaims = c;
    this.groupKeys.clear();
    this.ctx.registry.touch();
  }

  /** RLS group key for a table's claim paths, cached until the claims change. */
  groupKey(paths: ClaimPaths): string {
    const k = paths === 'all' ? '*' : paths.join('\u0000');
    let key = this.groupKeys.get(k);
    if (key === undefined) {
      key = groupKey(this.currentClaims.role, this.currentClaims, paths);
      this.groupKeys.set(k, key);
    }
    return key;
  }

  send(frame: WireFrame): void {
    if (this.state === 'joined') this.socket.send(frame);
  }

  canReadBroadcast(): boolean {
    return !this.isPrivate || this.policies?.broadcastRead === true;
  }

  canReadPresence(): boolean {
    return !this.isPrivate || this.policies?.presenceRead === true;
  }

  wasReplayed(id: string): boolean {
    return this.replayed.has(id);
  }

  private authContext(): AuthorizationContext {
    return { role: this.claims.role, topic: this.subTopic, claims: this.claims, headers: this.socket.xHeaders };
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); if (this.state !== 'closed') fn(); }, ms);
    this.timers.add(t);
  }

  private system(extension: string, status: 'ok' | 'error', message: string): void {
    this.ctx.metrics.systemMessages++;
    this.socket.push(this.joinRef, this.topic, 'system', { extension, status, message, channel: this.subTopic });
  }

  // ---- join ---------------------------------------------------------------------------

  async join(rawPayload: unknown, ref: Ref): Promise<void> {
    const { ctx } = this;
    ctx.metrics.joins++;
    try {
      const config = joinConfig(rawPayload, this.socket.connToken);
      this.isPrivate = config.isPrivate;
      this.selfBroadcast = config.selfBroadcast;
      this.ackBroadcast = config.ackBroadcast;
      this.presenceKey = config.presenceKey;
      this.presenceEnabled = config.presenceEnabled;
      this.pgBindings = config.pgBindings;
      this.accessToken = config.accessToken;

      if (this.subTopic === '') throw new JoinError('TopicNameRequired');
      if (ctx.shuttingDown()) throw new JoinError('RealtimeRestarting');
      if (!ctx.tryJoin()) throw new JoinError('ClientJoinRateLimitReached', undefined, true);

      const verified = await ctx.tokens.verify(this.accessToken);
      if (!verified.ok) throw new JoinError(verified.code, verified.message);
      this.claims = verified.claims;

      if (this.isPrivate) {
        try {
          this.policies = await readPolicies(ctx.sql, this.authContext(), this.presenceEnabled);
        } catch (e) {
          ctx.log.warn('private channel authorization failed', { code: 'RlsPolicyError', topic: this.subTopic, error: String(e) });
          this.policies = { broadcastRead: false, presenceRead: false };
        }
        if (!this.policies.broadcastRead && !this.policies.presenceRead) {
          throw new JoinError('Unauthorized', `You do not have permissions to read from this Channel topic: ${this.subTopic}`);
        }
      }

      const replay = replayParams(config.replay, this.isPrivate, this.policies?.broadcastRead === true, this.subTopic, ctx.limits.maxReplayMessages);

      const resolved = await resolveBindings(ctx, this.pgBindings, this.claims.role);
      if (!resolved.ok) this.pgError = resolved.error;
      const specs = resolved.ok ? resolved.specs : undefined;
      if (!this.socket.isOpen() || this.state === 'closed') return;

      // Registration happens here, before the reply: any change committed after the
      // client's SUBSCRIBED callback runs is matched against these subscriptions.
      this.state = 'joined';
      ctx.metrics.channels++;
      this.key = hubKey(this.isPrivate, this.subTopic);
      ctx.hub.add(this.key, this);
      ctx.presence.attach(this.key, this);
      const ids = this.pgBindings.map((b) => bindingId(b));
      if (specs) {
        specs.forEach((spec, i) => {
          const sub: PgSubscription = { subscriber: this, id: ids[i]!, spec, index: i };
          this.subs.push(sub);
          ctx.registry.add(sub);
        });
      }
      this.scheduleConfirm();
      if (specs && specs.length > 0) warmCatalog(ctx.catalog, specs, this.claims.role);

      this.socket.reply(this.joinRef, ref, this.topic, 'ok', { postgres_changes: this.pgBindings.map((b, i) => ({ ...b, id: ids[i] })) });

      if (this.presenceEnabled && this.canReadPresence()) this.pushPresenceState();
      if (replay) void this.replay(replay);
      if (this.pgBindings.length > 0) this.announcePostgres();
      if (config.replicationReady) this.awaitReplication(Date.now() + ctx.limits.replicationReadyTimeoutMs);
      for (const p of this.pending.splice(0)) this.handle(p.msg);
    } catch (e) {
      const err = e instanceof JoinError ? e : new JoinError('UnknownErrorOnChannel');
      if (!(e instanceof JoinError)) ctx.log.error('join failed', { code: 'UnknownErrorOnChannel', topic: this.topic, error: String(e) });
      this.failJoin(err, ref);
    }
  }

  /** Refuse a join before any checks (e.g. too many channels on the socket). */
  refuse(code: ErrorCode, ref: Ref): void {
    this.ctx.metrics.joins++;
    this.failJoin(new JoinError(code), ref);
  }

  private failJoin(err: JoinError, ref: Ref): void {
    const { ctx } = this;
    ctx.metrics.joinErrors++;
    ctx.log.warn('join refused', { code: err.code, topic: this.subTopic, message: err.message });
    this.pending = [];
    const send = (): void => {
      if (this.state === 'closed') return;
      this.socket.reply(this.joinRef, ref, this.topic, 'error', { reason: `${err.code}: ${err.message}` });
      this.dispose();
      if (err.disconnect) this.socket.disconnect(1000, reason('ClientJoinRateLimitReached'));
    };
    if (err.disconnect || ctx.limits.joinErrorBackoffMs === 0) send();
    else this.later(ctx.limits.joinErrorBackoffMs, send);
  }

  private announcePostgres(): void {
    const send = (): void => {
      if (this.pgError) {
        this.ctx.log.warn('postgres_changes subscription refused', { code: 'RealtimeDisabledForConfiguration', topic: this.subTopic, message: this.pgError });
        this.system('postgres_changes', 'error', this.pgError);
      } else {
        this.system('postgres_changes', 'ok', 'Subscribed to PostgreSQL');
      }
    };
    const delay = this.ctx.limits.systemMessageDelayMs;
    if (delay > 0) this.later(delay, send);
    else setImmediate(() => { if (this.state === 'joined') send(); });
  }

  private awaitReplication(deadline: number): void {
    const check = (): void => {
      if (this.ctx.replication()?.isStreaming()) this.system('system', 'ok', 'Replication connection established');
      else if (Date.now() >= deadline) this.shutdown('Replication connection was not established in time');
      else this.later(500, check);
    };
    setImmediate(() => { if (this.state === 'joined') check(); });
  }

  private pushPresenceState(): void {
    this.socket.push(this.joinRef, this.topic, 'presence_state', this.ctx.presence.list(this.key));
  }

  private async replay(p: { since: number; limit: number }): Promise<void> {
    try {
      const messages = await replayMessages(this.ctx.sql, this.subTopic, p);
      if (this.state !== 'joined') return;
      for (const m of messages) this.replayed.add(m.id);
      for (const m of messages) {
        const frame = encodeBroadcast(this.vsn, this.topic, m.msg);
        if (frame) this.send(wsFrame(frame));
      }
    } catch (e) {
      this.ctx.log.warn('broadcast replay failed', { code: 'UnableToReplayMessages', topic: this.subTopic, error: String(e) });
    }
  }

  // ---- token lifetime --------------------------------------------------------------------

  private scheduleConfirm(): void {
    clearTimeout(this.confirmTimer);
    if (this.confirmTimer) this.timers.delete(this.confirmTimer);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.state !== 'joined') return;
      void this.ctx.tokens.verify(this.accessToken).then((r) => {
        if (this.state !== 'joined') return;
        if (!r.ok) this.shutdown(r.message);
        else { this.claims = r.claims; this.scheduleConfirm(); }
      });
    }, confirmDelayMs(this.claims));
    this.confirmTimer = t;
    this.timers.add(t);
  }

  private async onAccessToken(payload: unknown): Promise<void> {
    const token = asObject(payload).access_token;
    if (!usableToken(token) || token === this.accessToken) return;
    this.accessToken = token;
    const r = await this.ctx.tokens.verify(token);
    if (this.state !== 'joined' || token !== this.accessToken) return;
    if (!r.ok) { this.shutdown(r.message); return; }
    this.claims = r.claims;
    this.writeChecks.clear();
    if (this.isPrivate) {
      const before = this.policies ?? {};
      let after: Policies;
      try {
        after = await readPolicies(this.ctx.sql, this.authContext(), this.presenceEnabled);
      } catch {
        after = { broadcastRead: false, presenceRead: false };
      }
      if (this.state !== 'joined') return;
      if (lostRead(before, after)) {
        this.shutdown(`You no longer have permission to read from this Channel topic: ${this.subTopic}`);
        return;
      }
      this.policies = after;
    }
    this.scheduleConfirm();
    if (this.subs.length > 0) this.announcePostgres();
  }

  // ---- inbound -----------------------------------------------------------------------

  handle(msg: InboundMessage): void {
    if (this.state === 'joining') { this.pending.push({ msg }); return; }
    if (this.state !== 'joined') return;
    switch (msg.event) {
      case 'phx_leave':
        this.socket.reply(this.joinRef, msg.ref, this.topic, 'ok', {});
        this.socket.push(this.joinRef, this.topic, 'phx_close', {});
        this.dispose();
        return;
      case 'access_token':
        void this.onAccessToken(msg.kind === 'json' ? msg.payload : undefined);
        return;
      case 'broadcast':
        void this.onBroadcast(msg);
        return;
      case 'presence':
        if (msg.kind === 'json') void this.onPresence(msg.payload, msg.ref);
        return;
      default:
        this.ctx.metrics.unknownEvents++;
        this.ctx.log.info('unexpected message from client', { code: 'UnknownEvent', topic: this.subTopic, event: msg.event });
    }
  }

  private writeAllowed(extension: 'broadcast' | 'presence'): Promise<boolean> {
    if (!this.isPrivate) return Promise.resolve(true);
    let p = this.writeChecks.get(extension);
    if (!p) {
      p = writePolicy(this.ctx.sql, this.authContext(), extension).catch((e: unknown) => {
        this.ctx.log.warn('write authorization failed', { code: 'RlsPolicyError', topic: this.subTopic, error: String(e) });
        return false;
      });
      this.writeChecks.set(extension, p);
    }
    return p;
  }

  private async onBroadcast(msg: InboundMessage): Promise<void> {
    const { limits, hub } = this.ctx;
    const inbound = inboundBroadcast(msg);
    if (!inbound) return;
    if (!inbound.ok) {
      this.ctx.metrics.malformedFrames++;
      if (this.ackBroadcast) this.socket.reply(this.joinRef, msg.ref, this.topic, 'error', { reason: inbound.reason });
      return;
    }
    const { msg: out, size } = inbound;
    const allowed = await this.writeAllowed('broadcast');
    if (this.state !== 'joined' || !allowed) return;
    if (size > limits.maxPayloadBytes) {
      if (this.ackBroadcast) this.socket.reply(this.joinRef, msg.ref, this.topic, 'error', { reason: reason('PayloadTooLarge', `payload of ${size} bytes exceeds ${limits.maxPayloadBytes}`) });
      return;
    }
    hub.broadcast(this.key, out, this.selfBroadcast ? undefined : this);
    if (this.ackBroadcast) this.socket.reply(this.joinRef, msg.ref, this.topic, 'ok', {});
  }

  private async onPresence(payload: unknown, ref: Ref): Promise<void> {
    const { limits, presence } = this.ctx;
    if (!this.presenceCalls.allow(Date.now(), limits.presenceWindowMs, limits.presenceMaxCallsPerWindow)) {
      this.ctx.log.warn('presence rate limit', { code: 'ClientPresenceRateLimitReached', topic: this.subTopic });
      this.shutdown('Client presence rate limit exceeded');
      return;
    }
    const call = presenceCall(payload);
    if (call.kind === 'untrack') {
      presence.untrack(this.key, this, this.presenceKey);
      this.trackedPayload = undefined;
      this.socket.reply(this.joinRef, ref, this.topic, 'ok', {});
      return;
    }
    if (call.kind === 'error') {
      this.socket.reply(this.joinRef, ref, this.topic, 'error', { reason: call.reason });
      return;
    }
    const { meta } = call;
    if (this.isPrivate && this.policies?.presenceRead === undefined) {
      try {
        this.policies = await readPolicies(this.ctx.sql, this.authContext(), true, this.policies ?? {});
      } catch { /* read stays undefined → denied below */ }
    }
    if (!(await this.writeAllowed('presence'))) {
      if (this.state === 'joined') this.socket.reply(this.joinRef, ref, this.topic, 'error', {});
      return;
    }
    if (this.state !== 'joined') return;
    const json = stableStringify(meta);
    if (Buffer.byteLength(json) > limits.maxPayloadBytes) {
      this.shutdown('Track message size exceeded');
      return;
    }
    if (json !== this.trackedPayload) {
      presence.track(this.key, this, this.presenceKey, meta);
      this.trackedPayload = json;
      if (!this.presenceEnabled) {
        this.presenceEnabled = true;
        if (this.canReadPresence()) this.pushPresenceState();
      }
    }
    this.socket.reply(this.joinRef, ref, this.topic, 'ok', {});
  }

  // ---- ending ----------------------------------------------------------------------------

  /** Graceful stop as Realtime's shutdown_response: system error, then phx_close. */
  shutdown(message: string): void {
    if (this.state !== 'joined') return;
    this.ctx.log.info('channel shut down', { code: 'ChannelShutdown', topic: this.subTopic, message });
    this.system('system', 'error', message);
    this.socket.push(this.joinRef, this.topic, 'phx_close', {});
    this.dispose();
  }

  /** Replaced by a new join for the same topic: close this join (old join_ref). */
  supersede(): void {
    if (this.state === 'joined') this.socket.push(this.joinRef, this.topic, 'phx_close', {});
    this.dispose();
  }

  /** Release everything without telling the client (socket gone). */
  dispose(): void {
    if (this.state === 'closed') return;
    const wasJoined = this.state === 'joined';
    this.state = 'closed';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subs) this.ctx.registry.remove(s);
    this.subs = [];
    if (wasJoined) {
      this.ctx.metrics.channels--;
      this.ctx.presence.untrack(this.key, this, this.presenceKey);
      this.ctx.presence.detach(this.key, this);
      this.ctx.hub.remove(this.key, this);
    }
    this.pending = [];
    this.socket.release(this);
  }
}
