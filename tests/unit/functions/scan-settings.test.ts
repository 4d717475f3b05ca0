/** The scan's reading of org settings: defaults reproduce the constants; the area restricts the cube. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCAN_SETTINGS } from '../../../functions/_shared/org-settings.ts';
import { configFromSettings, DEFAULT_SCAN_CONFIG } from '../../../functions/hotspot-scan/rules/config.ts';
import { restrictToArea } from '../../../functions/hotspot-scan/rules/detect.ts';

describe('configFromSettings', () => {
  it('the default settings are exactly the scan\'s former constants', () => {
    const fromSettings = configFromSettings(DEFAULT_SCAN_SETTINGS);
    const keys = Object.keys(fromSettings) as Array<keyof typeof fromSettings>;
    expect(keys.length).toBe(13);
    for (const k of keys) expect([k, fromSettings[k]]).toEqual([k, DEFAULT_SCAN_CONFIG[k]]);
  });
  it('hours become buckets; seconds become ms', () => {
    const c = configFromSettings({ ...DEFAULT_SCAN_SETTINGS, max_window_hours: 12, resolve_after_quiet_hours: 3, confirm_spacing_seconds: 7 });
    expect(c).toMatchObject({ maxDurationBuckets: 12, resolveAfterQuietBuckets: 3, confirmSpacingMs: 7000 });
    expect(configFromSettings({ ...DEFAULT_SCAN_SETTINGS, max_window_hours: 2 }, 1_800_000).maxDurationBuckets).toBe(4);
  });
});

describe('restrictToArea', () => {
  const cube = { category: 'fire', firstBucket: 0, casesInWindow: 7, rows: [
    { cell: 'a', bucketStart: 0, n: 1 }, { cell: 'b', bucketStart: 10, n: 2 }, { cell: 'a', bucketStart: 20, n: 5 },
  ] };
  it('keeps only the area\'s cells and recounts the window; no area keeps everything', () => {
    expect(restrictToArea([cube], new Set(['b']), 10)).toEqual([{ category: 'fire', firstBucket: 10, casesInWindow: 2, rows: [cube.rows[1]] }]);
    expect(restrictToArea([cube], null, 10)).toEqual([cube]);
  });
});
