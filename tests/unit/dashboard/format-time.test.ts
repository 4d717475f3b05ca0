/**
 * Times on the org's clock (dashboard/src/format.ts): the org's IANA zone, not the
 * browser's or UTC, with the zone's abbreviation — across daylight-saving changes.
 */
import { describe, expect, it } from 'vitest';
import { formatTime, zoneAbbreviation } from '../../../dashboard/src/format.ts';

describe('formatTime on the org\'s clock', () => {
  it('Europe/Amsterdam across the spring change (last Sunday of March, 01:00 UTC)', () => {
    expect(formatTime('2026-03-29T00:30:00Z', 'Europe/Amsterdam')).toBe('29 Mar, 01:30 CET');
    // An hour later the clock has jumped from 02:00 to 03:00.
    expect(formatTime('2026-03-29T01:30:00Z', 'Europe/Amsterdam')).toBe('29 Mar, 03:30 CEST');
  });

  it('America/New_York across the autumn change: 01:30 happens twice, told apart by the abbreviation', () => {
    expect(formatTime('2026-11-01T05:30:00Z', 'America/New_York')).toBe('1 Nov, 01:30 EDT');
    expect(formatTime('2026-11-01T06:30:00Z', 'America/New_York')).toBe('1 Nov, 01:30 EST');
  });

  it('the date follows the zone (an evening in New York is the next day in UTC)', () => {
    expect(formatTime('2026-12-07T02:15:00Z', 'America/New_York')).toBe('6 Dec, 21:15 EST');
    expect(formatTime('2026-12-07T02:15:00Z', 'UTC')).toBe('7 Dec, 02:15 UTC');
  });

  it('midnight is 00:00 (24-hour clock), and UTC is the default zone', () => {
    expect(formatTime('2026-06-01T00:00:00Z')).toBe('1 Jun, 00:00 UTC');
  });

  it('a zone without a common abbreviation shows its offset; half-hour offsets too', () => {
    expect(formatTime('2026-07-01T00:00:00Z', 'Australia/Sydney')).toBe('1 Jul, 10:00 GMT+10');
    expect(formatTime('2026-01-01T00:00:00Z', 'Australia/Sydney')).toBe('1 Jan, 11:00 GMT+11');
    expect(formatTime('2026-07-01T00:00:00Z', 'Asia/Kolkata')).toBe('1 Jul, 05:30 GMT+5:30');
  });

  it('a bad timestamp is a dash, not "Invalid Date"', () => {
    expect(formatTime('not a time', 'UTC')).toBe('–');
  });
});

describe('zoneAbbreviation', () => {
  it('British names for Europe, American names for America', () => {
    expect(zoneAbbreviation(new Date('2026-07-01T12:00:00Z'), 'Europe/London')).toBe('BST');
    expect(zoneAbbreviation(new Date('2026-01-01T12:00:00Z'), 'Europe/London')).toBe('GMT');
    expect(zoneAbbreviation(new Date('2026-07-01T12:00:00Z'), 'America/Los_Angeles')).toBe('PDT');
    expect(zoneAbbreviation(new Date('2026-01-01T12:00:00Z'), 'America/Chicago')).toBe('CST');
  });
});
