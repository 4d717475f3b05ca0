/** A SupabaseLike test double: channels the test drives by hand, rpc and functions answered by callbacks. */
import { FunctionsHttpError } from '@supabase/supabase-js';
import type { ResumeArgs, RpcResult, SupabaseLike } from '../../../client-sdk/src/supabase-types.ts';

type Callback = (payload: never) => void;

export class FakeChannel {
  bindings: Array<{ type: string; filter: Record<string, unknown>; cb: Callback }> = [];
  statusCb: ((status: string, err?: Error) => void) | undefined;
  removed = false;
  constructor(readonly topic: string, readonly opts: unknown) {}
  on(type: string, filter: Record<string, unknown>, cb: Callback): this {
    this.bindings.push({ type, filter, cb });
    return this;
  }
  subscribe(cb: (status: string, err?: Error) => void): this {
    this.statusCb = cb;
    return this;
  }
  status(s: string, err?: Error): void {
    this.statusCb?.(s, err);
  }
  system(payload: Record<string, unknown>): void {
    for (const b of this.bindings) if (b.type === 'system') (b.cb as (p: unknown) => void)(payload);
  }
  ready(): void {
    this.system({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: this.topic });
  }
  change(eventType: string, record: Record<string, unknown>): void {
    for (const b of this.bindings) if (b.type === 'postgres_changes') (b.cb as (p: unknown) => void)({ eventType, new: record, old: {} });
  }
  broadcast(event: string, record: Record<string, unknown>): void {
    for (const b of this.bindings) {
      if (b.type === 'broadcast' && (b.filter['event'] === event || b.filter['event'] === '*')) {
        (b.cb as (p: unknown) => void)({ type: 'broadcast', event, payload: { record, old_record: null, operation: event, table: 'x', schema: 'public' } });
      }
    }
  }
}

export interface RpcCall { args: ResumeArgs; headers: Record<string, string> }

export class FakeSupabase {
  channels: FakeChannel[] = [];
  allChannels: FakeChannel[] = [];
  rpcCalls: RpcCall[] = [];
  authCallbacks: Array<(event: string, session: unknown) => void> = [];
  setAuthCalls: Array<string | null> = [];
  /** Answer stream_resume; default: no rows, done. */
  resume: (args: ResumeArgs) => Promise<RpcResult> | RpcResult = () => ({ data: { rows: [], next: 0, cursor: '100', done: true }, error: null, status: 200 });
  invoke: (name: string, body: unknown, headers: Record<string, string>) => Promise<{ data: unknown; error: unknown }> =
    async () => ({ data: {}, error: null });

  realtime = {
    accessTokenValue: null as string | null,
    setAuth: async (token: string | null = null): Promise<void> => {
      this.setAuthCalls.push(token);
      if (token) this.realtime.accessTokenValue = token;
    },
    disconnect: async (): Promise<void> => {},
    connects: 0,
    connected: true,
    connect: (): void => { this.realtime.connects++; this.realtime.connected = true; },
    isConnected: (): boolean => this.realtime.connected,
    isConnecting: (): boolean => false,
  };

  auth = {
    onAuthStateChange: (cb: (event: string, session: unknown) => void) => {
      this.authCallbacks.push(cb);
      return { data: { subscription: { unsubscribe: () => { this.authCallbacks = this.authCallbacks.filter((c) => c !== cb); } } } };
    },
  };

  functions = {
    invoke: async (name: string, options?: { body?: unknown; headers?: Record<string, string> }) =>
      this.invoke(name, options?.body, options?.headers ?? {}),
  };

  channel(name: string, opts?: unknown): FakeChannel {
    const ch = new FakeChannel(`realtime:${name}`, opts);
    this.channels.push(ch);
    this.allChannels.push(ch);
    return ch;
  }

  async removeChannel(ch: FakeChannel): Promise<'ok'> {
    ch.removed = true;
    this.channels = this.channels.filter((c) => c !== ch);
    return 'ok';
  }

  getChannels(): FakeChannel[] {
    return this.channels;
  }

  rpc(_fn: 'stream_resume', args: ResumeArgs) {
    const headers: Record<string, string> = {};
    const builder = {
      setHeader: (n: string, v: string) => { headers[n] = v; return builder; },
      abortSignal: () => builder,
      then: <T1, T2>(ok?: ((v: RpcResult) => T1 | PromiseLike<T1>) | null, bad?: ((e: unknown) => T2 | PromiseLike<T2>) | null) => {
        this.rpcCalls.push({ args, headers });
        return Promise.resolve(this.resume(args)).then(ok, bad);
      },
    };
    return builder;
  }

  /** The latest channel (the one the feed uses now). */
  get last(): FakeChannel {
    const ch = this.channels[this.channels.length - 1];
    if (!ch) throw new Error('no channel');
    return ch;
  }

  asClient(): SupabaseLike {
    return this as unknown as SupabaseLike;
  }
}

export function httpError(status: number, body: unknown): { data: null; error: FunctionsHttpError } {
  return { data: null, error: new FunctionsHttpError(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })) };
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
