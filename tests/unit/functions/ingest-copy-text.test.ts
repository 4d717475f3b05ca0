import { describe, expect, it } from 'vitest';
import { batchValidator, emptyColumns, prepareBatch } from '../../../functions/ingest-events/rules/batch.ts';
import { DEFAULT_INGEST_LIMITS } from '../../../functions/ingest-events/schema.ts';
import { copyField, copyRows, EVENT_COPY_COLUMNS } from '../../../functions/ingest-events/store/copy-text.ts';

const NOW = Date.UTC(2026, 11, 7, 12);
const ev = (id: string, extra: Record<string, unknown> = {}) => ({
  source: 'cad', external_id: id, category: 'fire', occurred_at: '2026-12-07T11:00:00Z', lat: 40.75, lng: -73.99, ...extra,
});

describe('COPY text format', () => {
  it('escapes the four bytes with a meaning in a field, and nothing else', () => {
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField('plain "quoted" ünï 🔥,;')).toBe('plain "quoted" ünï 🔥,;');
  });

  it('writes one line per kept row, fields in the column list\'s order', () => {
    const { columns } = prepareBatch([ev('a', { attributes: { k: 'x\\y' } }), ev('b\tc', { weight: 2.5 })], NOW, DEFAULT_INGEST_LIMITS);
    columns.outside_area[1] = true;
    const { text, rows } = copyRows('org-1', columns, () => true);
    expect(rows).toBe(2);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const fields = lines.map((l) => l.split('\t'));
    expect(fields[0]!.length).toBe(EVENT_COPY_COLUMNS.split(', ').length);
    expect(fields[0]).toEqual(['org-1', 'cad', 'a', 'fire', '2026-12-07T11:00:00Z', '40.75', '-73.99', '1', columns.h3_cell[0], '{"k":"x\\\\\\\\y"}', 'f']);
    expect(fields[1]!.slice(1, 3)).toEqual(['cad', 'b\\tc']);
    expect(fields[1]!.slice(7, 8)).toEqual(['2.5']);
    expect(fields[1]!.at(-1)).toBe('t');
    expect(copyRows('org-1', columns, (i) => i === 1).rows).toBe(1);
    expect(copyRows('org-1', emptyColumns(), () => true)).toEqual({ text: '', rows: 0 });
  });
});

describe('batchValidator', () => {
  it('validates slice by slice with indices in the whole batch, the same verdicts as prepareBatch', () => {
    const events: unknown[] = Array.from({ length: 25 }, (_, i) => ev(`e-${i}`));
    events[3] = { ...ev('bad-3'), lat: 100 };
    events[17] = 'not an object';
    events[24] = { ...ev('bad-24'), category: 'Not Valid' };
    const v = batchValidator(NOW, DEFAULT_INGEST_LIMITS);
    const slices = [v.slice(events, 0, 10), v.slice(events, 10, 20), v.slice(events, 20, 25)];
    expect(slices.map((c) => c.source.length)).toEqual([9, 9, 4]);
    const whole = prepareBatch(events, NOW, DEFAULT_INGEST_LIMITS);
    expect(v.report()).toEqual({ rejected: whole.rejected, errors: whole.errors, errorsTruncated: whole.errorsTruncated });
    expect(v.report().errors.map((e) => e.index)).toEqual([3, 17, 24]);
    expect(slices.flatMap((c) => c.external_id)).toEqual(whole.columns.external_id);
  });

  it('caps the listed errors across slices and says so', () => {
    const limits = { ...DEFAULT_INGEST_LIMITS, maxReportedErrors: 3 };
    const v = batchValidator(NOW, limits);
    const bad = Array.from({ length: 6 }, (_, i) => ({ ...ev(`b-${i}`), lat: 200 }));
    v.slice(bad, 0, 2);
    v.slice(bad, 2, 6);
    expect(v.report()).toMatchObject({ rejected: 6, errorsTruncated: true });
    expect(v.report().errors.map((e) => e.index)).toEqual([0, 1, 2]);
  });
});
