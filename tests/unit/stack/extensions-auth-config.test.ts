import { describe, expect, it } from 'vitest';
import { parseHookUri } from '../../../stack/src/auth/settings.ts';
import { parseSchedule } from '../../../stack/src/extensions/schedule.ts';
import { parseToml } from '../../../stack/src/supabase-config.ts';

describe('pg_cron schedules (worker side)', () => {
  const next = (s: string, from: string): string | undefined => {
    const p = parseSchedule(s);
    return p?.kind === 'cron' ? p.next(new Date(from))?.toISOString() : undefined;
  };

  it('runs five-field expressions in UTC', () => {
    expect(next('* * * * *', '2026-01-01T10:00:30Z')).toBe('2026-01-01T10:01:00.000Z');
    expect(next('*/15 * * * *', '2026-01-01T10:01:00Z')).toBe('2026-01-01T10:15:00.000Z');
    expect(next('30 3 * * 6', '2026-01-01T00:00:00Z')).toBe('2026-01-03T03:30:00.000Z');
    expect(next('@hourly', '2026-01-01T10:00:01Z')).toBe('2026-01-01T11:00:00.000Z');
  });

  it("reads '$' as the last day of the month and day-of-month OR day-of-week like vixie cron", () => {
    expect(next('0 12 $ * *', '2026-02-03T00:00:00Z')).toBe('2026-02-28T12:00:00.000Z');
    // the 13th or any Friday: 2026-03-06 is a Friday, before the 13th
    expect(next('0 0 13 * 5', '2026-03-01T00:00:00Z')).toBe('2026-03-06T00:00:00.000Z');
  });

  it("accepts pg_cron's '[1-59] seconds' interval and refuses what pg_cron refuses", () => {
    expect(parseSchedule('10 seconds')).toEqual({ kind: 'interval', seconds: 10 });
    expect(parseSchedule('1 second')).toEqual({ kind: 'interval', seconds: 1 });
    expect(parseSchedule('60 seconds')).toBeUndefined();
    expect(parseSchedule('* * * *')).toBeUndefined();
    expect(parseSchedule('61 * * * *')).toBeUndefined();
  });
});

describe('supabase/config.toml reader', () => {
  it('reads the tables, keys and values the CLI config uses', () => {
    const t = parseToml(`
project_id = "hotwatch" # comment
[api]
schemas = ["public", "graphql_public"]
max_rows = 1_000
[auth]
enable_refresh_token_rotation = true
[auth.hook.custom_access_token]
enabled = true
uri = "pg-functions://postgres/public/custom_access_token_hook"
[functions.ingest-events]
verify_jwt = false
entrypoint = '../functions/ingest-events/index.ts'
`);
    expect(t).toEqual({
      project_id: 'hotwatch',
      api: { schemas: ['public', 'graphql_public'], max_rows: 1000 },
      auth: { enable_refresh_token_rotation: true, hook: { custom_access_token: { enabled: true, uri: 'pg-functions://postgres/public/custom_access_token_hook' } } },
      functions: { 'ingest-events': { verify_jwt: false, entrypoint: '../functions/ingest-events/index.ts' } },
    });
  });

  it('parses pg-functions hook URIs and refuses others', () => {
    expect(parseHookUri('pg-functions://postgres/public/custom_access_token_hook')).toEqual({ schema: 'public', fn: 'custom_access_token_hook' });
    expect(() => parseHookUri('https://example.test/hook')).toThrow(/unsupported auth hook uri/);
  });
});
