/**
 * One identity for everything the SDK does: the token Realtime holds is also sent
 * with the SDK's own REST (stream_resume) and function calls, so the snapshot and
 * catch-ups see exactly the rows RLS lets the live channel see.
 *
 * Token changes reach Realtime three ways: supabase-js itself pushes a refreshed
 * session token (onAuthStateChange → realtime.setAuth); `hw.setAuth(token)` for apps
 * that mint their own; and the `accessToken` provider option, consulted before every
 * (re)join so a channel closed for an expired token comes back with a fresh one.
 */
import type { SupabaseLike } from './supabase-types.ts';

/** Returns the current access token (null = the API key / signed out). */
export type AccessTokenProvider = () => Promise<string | null> | string | null;

const JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export class AuthBridge {
  readonly #client: SupabaseLike;
  readonly #provider: AccessTokenProvider | undefined;
  /** A token set through the SDK (setAuth or the provider); undefined = supabase-js decides. */
  #token: string | null | undefined;

  constructor(client: SupabaseLike, provider?: AccessTokenProvider) {
    this.#client = client;
    this.#provider = provider;
  }

  /** The Bearer token for the SDK's REST and function calls, if it must be pinned. */
  restToken(): string | undefined {
    if (typeof this.#token === 'string') return this.#token;
    const rt = this.#client.realtime.accessTokenValue;
    return typeof rt === 'string' && JWT.test(rt) ? rt : undefined;
  }

  /** Use `token` for Realtime (pushed to joined channels) and the SDK's own calls. */
  async set(token: string | null): Promise<boolean> {
    const changed = token !== this.#token;
    this.#token = token;
    await this.#client.realtime.setAuth(token);
    return changed;
  }

  /** Before a (re)join: ask the provider for a fresh token. */
  async beforeJoin(): Promise<void> {
    if (!this.#provider) return;
    const token = await this.#provider();
    if (token !== this.#token || this.#client.realtime.accessTokenValue !== token) await this.set(token);
  }

  /**
   * Call `onChange` after supabase-js changed the session token (it has already told
   * Realtime). Clients built with the `accessToken` option have no auth client.
   */
  watch(onChange: () => void): () => void {
    try {
      const { data } = this.#client.auth.onAuthStateChange((event) => {
        if (event === 'TOKEN_REFRESHED' || event === 'SIGNED_IN' || event === 'SIGNED_OUT') onChange();
      });
      return () => data.subscription.unsubscribe();
    } catch {
      return () => {};
    }
  }
}
