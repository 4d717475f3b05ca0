import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { isValidBucketName } from '../../../stack/src/storage/buckets.ts';
import { fromDbError } from '../../../stack/src/storage/errors.ts';
import { FileStore } from '../../../stack/src/storage/files.ts';
import { bucketSizeLimit, checkAllowedMimeTypes, mimeAllowed, parseSize } from '../../../stack/src/storage/limits.ts';
import { parseRange } from '../../../stack/src/storage/range.ts';
import { route } from '../../../stack/src/storage/routes.ts';

describe('storage: Range header', () => {
  it('answers single ranges, suffixes and open ends; ignores malformed; 416 past the end', () => {
    expect(parseRange(undefined, 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=2-5', 10)).toEqual({ kind: 'partial', start: 2, end: 5 });
    expect(parseRange('Bytes=7-', 10)).toEqual({ kind: 'partial', start: 7, end: 9 });
    expect(parseRange('bYtEs=-5', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(parseRange('bytes=-50', 10)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=5-500', 10)).toEqual({ kind: 'partial', start: 5, end: 9 });
    expect(parseRange('bytes=10-12', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 10)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-2', 10)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-1,4-5', 10)).toEqual({ kind: 'full' });
    expect(parseRange('items=0-1', 10)).toEqual({ kind: 'full' });
  });
});

describe('storage: sizes and MIME types', () => {
  it('reads sizes as the CLI (1024-based) and bucket limits as Storage', () => {
    expect(parseSize('50MiB')).toBe(52_428_800);
    expect(parseSize('50MB')).toBe(52_428_800);
    expect(parseSize('30KB')).toBe(30_720);
    expect(parseSize('3B')).toBe(3);
    expect(parseSize('1.5GiB')).toBe(1_610_612_736);
    expect(parseSize('lots')).toBeUndefined();
    const global = 50 * 1024 ** 2;
    expect(bucketSizeLimit(1024, global)).toBe(1024);
    expect(bucketSizeLimit('1MB', global)).toBe(1_000_000);
    expect(bucketSizeLimit('1.5kb', global)).toBe(1500);
    expect(bucketSizeLimit(null, global)).toBeNull();
    expect(() => bucketSizeLimit('big', global)).toThrow('Invalid file size format');
    expect(() => bucketSizeLimit('1 MB', global)).toThrow('Invalid file size format');
    expect(() => bucketSizeLimit(-1, global)).toThrow('Invalid file size format');
    expect(() => bucketSizeLimit('1GB', global)).toThrow('The object exceeded the maximum allowed size');
  });

  it('allows exact types and type/* wildcards; no list allows all', () => {
    expect(mimeAllowed('image/png', null)).toBe(true);
    expect(mimeAllowed('image/png', ['image/*'])).toBe(true);
    expect(mimeAllowed('text/plain; charset=utf-8', ['text/plain'])).toBe(true);
    expect(mimeAllowed('application/json', ['image/*', 'text/plain'])).toBe(false);
    expect(() => checkAllowedMimeTypes(['image/png', 'text/plain; charset=utf-8', 'image/*'])).not.toThrow();
    expect(() => checkAllowedMimeTypes(['not a type'])).toThrow('mime type not a type is not supported');
  });
});

describe('storage: names, routes and database errors', () => {
  it('validates bucket names as Storage', () => {
    expect(isValidBucketName('basemaps')).toBe(true);
    expect(isValidBucketName('a/b')).toBe(false);
    expect(isValidBucketName('')).toBe(false);
    expect(isValidBucketName(' x')).toBe(false);
  });

  it('routes the Storage API paths, decoding keys segment by segment', () => {
    expect(route('GET', '/object/public/maps/org/a%20b.pmtiles')).toEqual({ name: 'getPublicObject', params: { b: 'maps', k: 'org/a b.pmtiles' } });
    expect(route('HEAD', '/object/maps/x')).toEqual({ name: 'headObject', params: { b: 'maps', k: 'x' } });
    expect(route('GET', '/object/authenticated/maps/x')).toEqual({ name: 'getObject', params: { b: 'maps', k: 'x' } });
    expect(route('DELETE', '/object/maps')).toEqual({ name: 'deleteObjects', params: { b: 'maps' } });
    expect(route('POST', '/bucket/maps/empty')).toEqual({ name: 'emptyBucket', params: { b: 'maps' } });
    expect(route('POST', '/object/list/maps')).toEqual({ name: 'listObjects', params: { b: 'maps' } });
    expect(route('PATCH', '/object/maps/x')).toBeUndefined();
  });

  it('maps RLS refusals and duplicates as DBError.fromDBError does', () => {
    const pgErr = (code: string, message: string): Error => Object.assign(new Error(message), { code });
    expect(fromDbError(pgErr('42501', 'new row violates row-level security policy for table "objects"')).render())
      .toEqual({ statusCode: '403', code: 'AccessDenied', error: 'Unauthorized', message: 'new row violates row-level security policy' });
    expect(fromDbError(pgErr('23505', 'duplicate key')).render())
      .toEqual({ statusCode: '409', code: 'ResourceAlreadyExists', error: 'Duplicate', message: 'The resource already exists' });
    expect(fromDbError(pgErr('XX000', 'boom')).httpStatus).toBe(500);
  });
});

describe('storage: object bytes on disk', () => {
  it('writes by object id, reads ranges, reports a missing file as undefined, removes', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hotwatch-storage-'));
    try {
      const files = new FileStore(root);
      await files.init();
      const id = randomUUID();
      expect(await files.open(id, { start: 0, end: 0 })).toBeUndefined();
      await files.write(id, Buffer.from('0123456789'));
      expect(await text((await files.open(id, { start: 2, end: 5 }))!)).toBe('2345');
      await files.remove([id]);
      expect(await files.open(id, { start: 0, end: 9 })).toBeUndefined();
      await expect(files.write('../escape', Buffer.from('x'))).rejects.toThrow('not an object id');
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
