import { describe, expect, it } from 'vitest';
import { DEFAULT_REST_CONFIG } from '../../../stack/src/rest/config.ts';
import { applyDbSettings, coerceBool } from '../../../stack/src/rest/db-config.ts';
import { decodeMediaType, negotiate, parseAccept, toMime } from '../../../stack/src/rest/media.ts';

describe('in-database settings (Config.hs coerceBool, Config/Database.hs)', () => {
  it('reads booleans as PostgREST does', () => {
    for (const t of ['true', 'TRUE', 'True', '"true"', '1', '2']) expect(coerceBool(t), t).toBe(true);
    for (const f of ['false', 'FALSE', '0', '-1']) expect(coerceBool(f), f).toBe(false);
    for (const x of ['yes', 'on', '', 'maybe']) expect(coerceBool(x), x).toBeUndefined();
  });

  it('overrides the file configuration with what it honours, and nothing else', () => {
    const base = DEFAULT_REST_CONFIG;
    const cfg = applyDbSettings(base, new Map([
      ['db_aggregates_enabled', 'true'], ['db_plan_enabled', '1'], ['db_max_rows', '50'], ['db_tx_end', 'commit'],
      ['db_schemas', 'other'], ['jwt_secret', 'x'],
    ]));
    expect(cfg).toEqual({ ...base, aggregatesEnabled: true, planEnabled: true, dbMaxRows: 50, txAllowOverride: false });
    // Unreadable values leave the file's.
    expect(applyDbSettings(base, new Map([['db_aggregates_enabled', 'on'], ['db_max_rows', 'lots']]))).toEqual(base);
  });
});

describe('plan media types (MediaType.hs decodeMediaType doctests, toMime)', () => {
  it('decodes format, for= and options', () => {
    expect(toMime(decodeMediaType('application/vnd.pgrst.plan;'))).toBe('application/vnd.pgrst.plan+text; for="application/json"');
    expect(toMime(decodeMediaType('application/vnd.pgrst.plan;for="application/json"'))).toBe('application/vnd.pgrst.plan+text; for="application/json"');
    expect(toMime(decodeMediaType('application/vnd.pgrst.plan+json;for="text/csv"'))).toBe('application/vnd.pgrst.plan+json; for="text/csv"');
    expect(decodeMediaType('application/vnd.pgrst.plan+json;for="text/csv";options=wal|analyze|bogus')).toEqual({
      kind: 'plan', format: 'json', for: { kind: 'csv' }, options: ['analyze', 'wal'],
    });
  });

  it('is chosen only with db-plan-enabled and a for= a built-in handler serves', () => {
    // postgrest-js explain(): note the trailing `;` and empty options.
    const accepts = parseAccept('application/vnd.pgrst.plan+text; for="application/json"; options=;');
    expect(() => negotiate(accepts)).toThrow(expect.objectContaining({ body: expect.objectContaining({ code: 'PGRST107' }) }));
    expect(negotiate(accepts, true)).toEqual({ kind: 'plan', format: 'text', for: { kind: 'json' }, options: [] });
    expect(() => negotiate(parseAccept('application/vnd.pgrst.plan+json; for="application/xml"'), true)).toThrow();
  });
});
