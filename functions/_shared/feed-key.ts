/**
 * Feed keys (issue 21 part 3): `hwfk_<12 hex>_<43 base64url>`. The first part is the
 * key's public prefix (it names the key in the dashboard and finds its row); the
 * whole key's SHA-256 is what the database stores. 256 random bits after the prefix
 * make a slow hash pointless (GitHub and Stripe tokens do the same). The comparison is
 * constant-time and runs against a dummy hash for an unknown prefix, so the answer's
 * timing does not tell an unknown key from a wrong one.
 *
 * Web Crypto only (getRandomValues, subtle.digest): the same code in Deno, Node and the
 * edge runtime, no node: import to type-check.
 */

export const FEED_KEY_PATTERN = /^(hwfk_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export interface NewFeedKey {
  /** The key itself: shown once, never stored. */
  key: string;
  prefix: string;
  hash: Uint8Array;
}

export async function hashFeedKey(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
// RFC 4648 §5 without padding.
const base64url = (b: Uint8Array): string => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

export async function generateFeedKey(): Promise<NewFeedKey> {
  const prefix = `hwfk_${hex(random(6))}`;
  const key = `${prefix}_${base64url(random(32))}`;
  return { key, prefix, hash: await hashFeedKey(key) };
}

/** The prefix of a well-formed key, else null. */
export function feedKeyPrefix(key: string): string | null {
  return FEED_KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Equal-length byte arrays compared without an early exit (the time depends on the length only). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const NO_HASH = new Uint8Array(32);

/** Whether `key` hashes to `stored`, in constant time (a missing or malformed hash compares against zeros and fails). */
export async function feedKeyMatches(key: string, stored: Uint8Array | null): Promise<boolean> {
  const expected = stored && stored.byteLength === 32 ? stored : NO_HASH;
  return constantTimeEqual(await hashFeedKey(key), expected) && expected !== NO_HASH;
}
