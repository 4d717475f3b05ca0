/**
 * Presence on a channel: the per-channel call rate limit and a presence push read as
 * Realtime reads it (track with a map payload, untrack, anything else refused).
 */
import { asObject } from './context.ts';

export type PresenceCall =
  | { kind: 'untrack' }
  | { kind: 'track'; meta: Record<string, unknown> }
  | { kind: 'error'; reason: string };

export function presenceCall(payload: unknown): PresenceCall {
  const p = asObject(payload);
  const event = typeof p.event === 'string' ? p.event.toLowerCase() : '';
  if (event === 'untrack') return { kind: 'untrack' };
  if (event !== 'track') return { kind: 'error', reason: `UnknownPresenceEvent: ${event}` };
  const meta = p.payload === undefined ? {} : p.payload;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return { kind: 'error', reason: 'Presence track payload must be a map' };
  return { kind: 'track', meta: meta as Record<string, unknown> };
}

/** Presence calls within a sliding window; a call over the limit is refused (not counted). */
export class PresenceCalls {
  private calls: number[] = [];

  allow(now: number, windowMs: number, max: number): boolean {
    this.calls = this.calls.filter((t) => now - t < windowMs);
    if (this.calls.length >= max) return false;
    this.calls.push(now);
    return true;
  }
}
