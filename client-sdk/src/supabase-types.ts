/**
 * The part of a SupabaseClient the SDK uses, as a structural type: any
 * `SupabaseClient<Database>` fits, and so does a test double.
 */
import type { FunctionInvokeOptions, RealtimeChannel, RealtimeChannelOptions, RealtimeClient } from '@supabase/supabase-js';

export interface RpcResult {
  data: unknown;
  error: { message: string; code?: string; details?: string | null; hint?: string | null } | null;
  status: number;
}

export interface RpcBuilder extends PromiseLike<RpcResult> {
  setHeader(name: string, value: string): RpcBuilder;
  abortSignal(signal: AbortSignal): RpcBuilder;
}

export interface ResumeArgs {
  p_stream: 'hotspots' | 'alerts' | 'recommendations';
  p_cursor?: unknown;
  p_after_id?: number;
  p_limit?: number;
}

export interface SupabaseLike {
  realtime: RealtimeClient;
  channel(name: string, opts?: RealtimeChannelOptions): RealtimeChannel;
  removeChannel(channel: RealtimeChannel): Promise<unknown>;
  getChannels(): RealtimeChannel[];
  rpc(fn: 'stream_resume', args: ResumeArgs): RpcBuilder;
  readonly functions: {
    invoke(name: string, options?: FunctionInvokeOptions): Promise<{ data: unknown; error: unknown; response?: Response }>;
  };
  readonly auth: {
    onAuthStateChange(callback: (event: string, session: unknown) => void): { data: { subscription: { unsubscribe(): void } } };
  };
}
