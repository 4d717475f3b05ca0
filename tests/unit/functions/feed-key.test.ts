/** Feed keys (pure parts): the key format, its hash and constant-time check, and the GCRA rate limit. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, feedKeyMatches, feedKeyPrefix, generateFeedKey, hashFeedKey } from '../../../functions/_shared/feed-key.ts';
import { gcraFor, retryAfterSeconds } from '../../../functions/ingest-feed/rules/rate-limit.ts';

describe('feed keys', () => {
  it('a new key: recognisable prefix, 256 random bits, SHA-256 hash; every key differs', async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, generateFeedKey));
    for (const k of keys) {
      expect(k.key).toMatch(/^hwfk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(feedKeyPrefix(k.key)).toBe(k.prefix);
      expect(Buffer.from(k.hash).equals(createHash('sha256').update(k.key).digest())).toBe(true);
    }
    expect(new Set(keys.map((k) => k.key)).size).toBe(50);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(50);
  });

  it('malformed keys have no prefix', async () => {
    const { key } = await generateFeedKey();
    for (const bad of ['', 'hwfk_', 'hwfk_0123456789ab', 'hwfk_0123456789AB_' + 'a'.repeat(43), `hwfk_0123456789ab_${'a'.repeat(42)}`, `x${key}`, `${key} `]) {
      expect(feedKeyPrefix(bad), bad).toBeNull();
    }
  });

  it('matches only its own hash; no hash or a malformed one never matches (and never throws)', async () => {
    const k = await generateFeedKey();
    expect(await feedKeyMatches(k.key, k.hash)).toBe(true);
    expect(await feedKeyMatches((await generateFeedKey()).key, k.hash)).toBe(false);
    expect(await feedKeyMatches(k.key, null)).toBe(false);
    expect(await feedKeyMatches(k.key, new Uint8Array(31))).toBe(false);
    expect(await feedKeyMatches(k.key, new Uint8Array(32))).toBe(false);
    expect(await feedKeyMatches('anything', (await hashFeedKey('anything')).slice(0, 16))).toBe(false);
  });

  it('the constant-time comparison: equal only for equal bytes of equal length', () => {
    const a = Uint8Array.from([1, 2, 3, 4]);
    expect(constantTimeEqual(a, Uint8Array.from([1, 2, 3, 4]))).toBe(true);
    for (let i = 0; i < 4; i++) {
      const b = Uint8Array.from(a);
      b[i]! ^= 0x80;
      expect(constantTimeEqual(a, b), `byte ${i}`).toBe(false);
    }
    expect(constantTimeEqual(a, a.slice(0, 3))).toBe(false);
  });
});

describe('feed rate limit (GCRA)', () => {
  /** Replays the algorithm the store runs in SQL, for a list of request times (ms). */
  function admitted(perMinute: number, times: number[]): boolean[] {
    const g = gcraFor(perMinute);
    let tat = -Infinity;
    return times.map((t) => {
      const start = Math.max(tat, t);
      if (start - t > g.toleranceMs) return false;
      tat = start + g.intervalMs;
      return true;
    });
  }

  it('a full bucket admits one minute\'s worth at once, then one per interval', () => {
    expect(admitted(2, [0, 0, 0])).toEqual([true, true, false]);
    expect(admitted(2, [0, 0, 30_000, 30_000])).toEqual([true, true, true, false]);
    expect(admitted(600, Array.from({ length: 601 }, () => 0)).filter(Boolean)).toHaveLength(600);
    expect(admitted(1, [0, 59_999, 60_000])).toEqual([true, false, true]);
  });

  it('Retry-After is whole seconds, at least 1', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(29_001)).toBe(30);
    expect(retryAfterSeconds(-5)).toBe(1);
  });
});
