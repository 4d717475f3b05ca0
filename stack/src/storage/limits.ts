import { readSupabaseConfig, str, table, bool } from '../supabase-config.ts';
import { invalidFileSizeLimit } from './errors.ts';

/**
 * Sizes as the Supabase CLI reads them from config.toml (`[storage] file_size_limit =
 * "50MiB"`: go-units RAMInBytes, where KB/MB/GB and KiB/MiB/GiB are both powers of 1024)
 * and as Storage reads a bucket's `file_size_limit` ("20GB / 20MB / 30KB / 3B" or bytes).
 */

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "50MiB" → 52428800; undefined for text that is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m?.[1]) return undefined;
  const unit = UNITS[(m[2] || 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

/** A bucket's file_size_limit as the API takes it: bytes as a number, a size string, or null. */
export function bucketSizeLimit(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const n = parseSize(v);
    if (n !== undefined) return n;
  }
  throw invalidFileSizeLimit();
}

/** The CLI's default when config.toml says nothing. */
export const DEFAULT_FILE_SIZE_LIMIT = 50 * 1024 ** 2;

export interface StorageSettings {
  enabled: boolean;
  /** Global upload limit in bytes; a bucket's own limit can only lower it. */
  fileSizeLimit: number;
}

export function loadStorageSettings(config = readSupabaseConfig()): StorageSettings {
  const t = table(config, 'storage');
  const raw = str(t, 'file_size_limit');
  const limit = raw === undefined ? DEFAULT_FILE_SIZE_LIMIT : parseSize(raw);
  if (limit === undefined) throw new Error(`config.toml: [storage] file_size_limit ${JSON.stringify(raw)} is not a size`);
  return { enabled: bool(t, 'enabled') ?? true, fileSizeLimit: limit };
}

/** Storage's validateMimeType: exact types or `type/*` wildcards; no list allows all. */
export function mimeAllowed(mime: string, allowed: string[] | null): boolean {
  if (!allowed || allowed.length === 0) return true;
  const [type] = mime.split(';');
  const t = (type ?? '').trim().toLowerCase();
  return allowed.some((a) => {
    const x = a.trim().toLowerCase();
    return x.endsWith('/*') ? t.startsWith(x.slice(0, -1)) : x === t;
  });
}
