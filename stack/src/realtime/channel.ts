/**
 * One joined channel (`realtime:<name>`) on one socket: the join checks in Supabase
 * Realtime's order, the ok reply with binding ids, Postgres Changes registration
 * (before the reply), Broadcast (self/ack, private write checks), Presence, token
 * refresh and expiry, and graceful shutdown (system message + phx_close).
 */
import { randomUUID } from 'node:crypto';
import { reason, TOPIC_PREFIX, type ErrorCode } from './constants.ts';
import { asObject, flexBool, type RealtimeContext } from './context.ts';
import { castable, parseBinding, type BindingSpec } from './filters.ts';
import { encodeBroadcast, hubKey, type BroadcastMessage, type HubMember } from './hub.ts';
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

class JoinError extends Error {
  constructor(readonly code: ErrorCode, message?: string, readonly disconnect = false) {
    super(message ?? reason(code).slice(code.length + 2));
  }
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
  private presenceCalls: number[] = [];
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
      const payload = asObject(rawPayload);
      const config = asObject(payload.config);
      const broadcast = asObject(config.broadcast);
      const presence = asObject(config.presence);
      this.isPrivate = flexBool(config.private);
      this.selfBroadcast = flexBool(broadcast.self);
      this.ackBroadcast = flexBool(broadcast.ack);
      this.presenceKey = typeof presence.key === 'string' && presence.key !== '' ? presence.key : randomUUID();
      this.presenceEnabled = flexBool(presence.enabled);
      this.pgBindings = Array.isArray(config.postgres_changes)
        ? (config.postgres_changes as unknown[]).filter((b) => b !== null && b !== undefined).map((b) => asObject(b))
        : [];
      const token = payload.access_token ?? payload.user_token;
      this.accessToken = typeof token === 'string' && token !== '' && !token.startsWith('sb_') ? token : this.socket.connToken;

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

      const replay = broadcast.replay;
      let replayParams: { since: number; limit: number } | undefined;
      if (replay !== undefined && replay !== null) {
        if (!this.isPrivate) throw new JoinError('UnableToReplayMessages', 'Replay is not allowed for public channels');
        if (!this.policies?.broadcastRead) throw new JoinError('Unauthorized', `You do not have permissions to read from this Channel topic: ${this.subTopic}`);
        const r = asObject(replay);
        const since = r.since === undefined ? 0 : Number(r.since);
        const limit = r.limit === undefined ? ctx.limits.maxReplayMessages : Number(r.limit);
        if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit) || limit < 1 || limit > ctx.limits.maxReplayMessages) {
          throw new JoinError('UnableToReplayMessages', 'Replay params are not valid');
        }
        replayParams = { since, limit };
      }

      const specs = await this.resolveBindings();
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
      if (specs && specs.length > 0) this.warmCatalog(specs);

      this.socket.reply(this.joinRef, ref, this.topic, 'ok', { postgres_changes: this.pgBindings.map((b, i) => ({ ...b, id: ids[i] })) });

      if (this.presenceEnabled && this.canReadPresence()) this.pushPresenceState();
      if (replayParams) void this.replay(replayParams);
      if (this.pgBindings.length > 0) this.announcePostgres();
      if (flexBool(broadcast.replication_ready)) this.awaitReplication(Date.now() + ctx.limits.replicationReadyTimeoutMs);
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

  /** Parse and check the bindings; undefined (with pgError set) when they cannot be subscribed. */
  private async resolveBindings(): Promise<BindingSpec[] | undefined> {
    if (this.pgBindings.length === 0) return [];
    const { ctx } = this;
    const specs: BindingSpec[] = [];
    for (const b of this.pgBindings) {
      const parsed = parseBinding(b, ctx.limits.maxInFilterValues);
      if (!parsed.ok) { this.pgError = parsed.error; return undefined; }
      specs.push(parsed.value);
    }
    try {
      let published = await ctx.catalog.publicationTables();
      const missing = (list: typeof published): boolean => specs.some((spec) => !list.some((t) => (spec.schema === '*' || t.schema === spec.schema) && (spec.table === '*' || t.table === spec.table)));
      if (missing(published)) published = await ctx.catalog.publicationTables(true);
      if (!(await ctx.catalog.roleExists(this.claims.role))) {
        this.pgError = `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(specs[0]!)}]. Exception: ERROR 22023 (invalid_parameter_value) role "${this.claims.role}" does not exist`;
        return undefined;
      }
      for (const spec of specs) {
        const tables = published.filter((t) => (spec.schema === '*' || t.schema === spec.schema) && (spec.table === '*' || t.table === spec.table));
        if (tables.length === 0) {
          this.pgError = `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [${describe(spec)}]`;
          return undefined;
        }
        if (spec.filters.length > 0 || spec.select) {
          for (const t of tables) {
            const info = await ctx.catalog.tableByName(t.schema, t.table);
            if (!info) continue;
            for (const f of spec.filters) {
              const col = info.byName.get(f.baseColumn);
              const bad = !col ? `invalid column for filter ${f.column}`
                : f.op !== 'in' && f.op !== 'is' && f.op !== 'like' && f.op !== 'ilike' && f.op !== 'match' && f.op !== 'imatch' && f.jsonKey === undefined && !castable(col.type, f.value)
                  ? `invalid input syntax for type ${col.type.name}: "${f.value}"` : undefined;
              if (bad) {
                this.pgError = `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(spec)}]. Exception: ${bad}`;
                return undefined;
              }
            }
          }
        }
      }
    } catch (e) {
      this.pgError = `Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [${describe(specs[0]!)}]. Exception: ${String(e)}`;
      return undefined;
    }
    return specs;
  }

  /**
   * Load the subscribed tables' facts and this role's privileges now, in the background,
   * so the first change after SUBSCRIBED does not wait for catalog queries.
   */
  private warmCatalog(specs: BindingSpec[]): void {
    const { catalog } = this.ctx;
    const role = this.claims.role;
    void catalog.publicationTables().then(async (published) => {
      const tables = published.filter((t) => specs.some((s) => (s.schema === '*' || t.schema === s.schema) && (s.table === '*' || t.table === s.table)));
      for (const t of tables.slice(0, 20)) {
        const info = await catalog.tableByName(t.schema, t.table);
        if (info) await catalog.rolePrivileges(info, role);
      }
    }).catch(() => {}); // only a warm-up: the pipeline loads (and reports) for real
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
      const rows = await this.ctx.sql<{ id: string; event: string | null; payload: unknown; binary_payload: Buffer | null }>`
        select id, event, payload, binary_payload from (
          select id, event, payload, binary_payload, inserted_at from realtime.messages
           where topic = ${this.subTopic} and private is true and extension = 'broadcast'
             and inserted_at >= to_timestamp(${p.since / 1000}) at time zone 'utc'
           order by inserted_at desc limit ${p.limit}) m
         order by inserted_at`;
      if (this.state !== 'joined') return;
      for (const r of rows) this.replayed.add(r.id);
      for (const r of rows) {
        const meta = JSON.stringify({ replayed: true, id: r.id });
        const msg: BroadcastMessage = { event: r.event ?? '', meta, userBroadcast: true };
        if (r.binary_payload) msg.binary = r.binary_payload; else msg.json = JSON.stringify(r.payload);
        const frame = encodeBroadcast(this.vsn, this.topic, msg);
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
    if (typeof token !== 'string' || token === '' || token.startsWith('sb_') || token === this.accessToken) return;
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
      if ((before.broadcastRead && !after.broadcastRead) || (before.presenceRead && !after.presenceRead)) {
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
    let out: BroadcastMessage;
    let size: number;
    if (msg.kind === 'user-broadcast') {
      size = msg.payload.length;
      if (msg.encoding === 1) {
        const text = msg.payload.toString('utf8');
        try { JSON.parse(text); } catch {
          this.ctx.metrics.malformedFrames++;
          if (this.ackBroadcast) this.socket.reply(this.joinRef, msg.ref, this.topic, 'error', { reason: reason('MalformedFrame', 'broadcast payload is not valid JSON') });
          return;
        }
        out = { event: msg.userEvent, json: text, userBroadcast: true };
      } else {
        out = { event: msg.userEvent, binary: msg.payload, userBroadcast: true };
      }
    } else if (msg.kind === 'json') {
      const raw = JSON.stringify(msg.payload ?? {});
      size = Buffer.byteLength(raw);
      const event = asObject(msg.payload).event;
      out = { event: typeof event === 'string' ? event : '', raw, userBroadcast: false };
    } else {
      return;
    }
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
    const now = Date.now();
    this.presenceCalls = this.presenceCalls.filter((t) => now - t < limits.presenceWindowMs);
    if (this.presenceCalls.length >= limits.presenceMaxCallsPerWindow) {
      this.ctx.log.warn('presence rate limit', { code: 'ClientPresenceRateLimitReached', topic: this.subTopic });
      this.shutdown('Client presence rate limit exceeded');
      return;
    }
    this.presenceCalls.push(now);
    const p = asObject(payload);
    const event = typeof p.event === 'string' ? p.event.toLowerCase() : '';
    if (event === 'untrack') {
      presence.untrack(this.key, this, this.presenceKey);
      this.trackedPayload = undefined;
      this.socket.reply(this.joinRef, ref, this.topic, 'ok', {});
      return;
    }
    if (event !== 'track') {
      this.socket.reply(this.joinRef, ref, this.topic, 'error', { reason: `UnknownPresenceEvent: ${event}` });
      return;
    }
    const meta = p.payload === undefined ? {} : p.payload;
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
      this.socket.reply(this.joinRef, ref, this.topic, 'error', { reason: 'Presence track payload must be a map' });
      return;
    }
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
      presence.track(this.key, this, this.presenceKey, meta as Record<string, unknown>);
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

function describe(spec: BindingSpec): string {
  const filters = spec.filters.map((f) => `{"${f.column}", "${f.op}", "${f.value}"${f.negate ? ', true' : ''}}`).join(', ');
  return `event: ${spec.action}, schema: ${spec.schema}, table: ${spec.table}, filters: [${filters}], select: ${spec.select ? JSON.stringify(spec.select) : 'nil'}`;
}
