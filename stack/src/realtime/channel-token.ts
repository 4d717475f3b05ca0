/**
 * Token refresh on a joined channel (access_token): which tokens count, and whether new
 * claims took away a read the private channel was joined with (then the channel closes).
 */
import type { Policies } from './private-channels.ts';

/** A user token: non-empty and not an sb_ API key. */
export function usableToken(token: unknown): token is string {
  return typeof token === 'string' && token !== '' && !token.startsWith('sb_');
}

/** The refreshed policies no longer grant a read the channel had. */
export function lostRead(before: Policies, after: Policies): boolean {
  return Boolean((before.broadcastRead && !after.broadcastRead) || (before.presenceRead && !after.presenceRead));
}
