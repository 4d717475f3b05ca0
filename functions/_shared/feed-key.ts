/**
 * Feed keys (issue 21 part 3): `hwfk_<12 hex>_<43 base64url>`. The first part is the
 * key's public prefix (it names the key in the dashboard and finds its row); the
 * whole key's SHA-256 is what the database stores. 256 random bits after the prefix
 * make a slow hash pointless (GitHub and Stripe tokens do the same); the comparison
 * is constant-time (node:crypto timingSafeEqual, in Deno and Node alike) and runs
 * against a dummy hash for an unknown prefix, so the answer's timing does not tell an
 * unknown key from a wrong one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const FEED_KEY_PATTERN = /^(hwfk_[0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

export interface NewFeedKey {
  /** The key itself: shown once, never stored. */
  key: string;
  prefix: string;
  hash: Uint8Array;
}

export function hashFeedKey(key: string): Uint8Array {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateFeedKey(): NewFeedKey {
  const prefix = `hwfk_${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashFeedKey(key) };
}

/** The prefix of a well-formed key, else null. */
export function feedKeyPrefix(key: string): string | null {
  return FEED_KEY_PATTERN.exec(key)?.[1] ?? null;
}

const NO_HASH = new Uint8Array(32);

/** Whether `key` hashes to `stored`, in constant time (a missing or malformed hash compares against zeros and fails). */
export function feedKeyMatches(key: string, stored: Uint8Array | null): boolean {
  const expected = stored && stored.byteLength === 32 ? stored : NO_HASH;
  return timingSafeEqual(hashFeedKey(key), expected) && expected !== NO_HASH;
}
