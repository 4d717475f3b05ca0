import { readSupabaseConfig, str, table, bool } from '../supabase-config.ts';
import { entityTooLarge, invalidFileSizeLimit, invalidMimeType } from './errors.ts';

/**
 * Two size grammars, as the two programs read them:
 * - config.toml's `[storage] file_size_limit = "50MiB"` as the Supabase CLI does
 *   (docker/go-units RAMInBytes: KB/MB/GB and KiB/MiB/GiB are both powers of 1024);
 * - a bucket's `file_size_limit` as Storage does (src/storage/limits.ts
 *   parseFileSizeToBytes: bytes as a number, or `20GB`/`20MB`/`30KB`/`3B`, decimal units),
 *   refused above the global limit with EntityTooLarge (Storage's parseMaxSizeLimit).
 */

const BINARY: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const DECIMAL: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9 };

/** config.toml: "50MiB" → 52428800; undefined for text that is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m?.[1]) return undefined;
  const unit = BINARY[(m[2] || 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

/** A bucket's file_size_limit as the API takes it: bytes, a Storage size string, or null (no limit of its own). */
export function bucketSizeLimit(v: unknown, globalLimit: number): number | null {
  if (v === undefined || v === null) return null;
  let bytes: number | undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) bytes = v;
  if (typeof v === 'string') {
    const m = /^([0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(v);
    if (m?.[1] && m[2]) bytes = Math.round(parseFloat(m[1]) * (DECIMAL[m[2].toLowerCase()] ?? 1));
  }
  if (bytes === undefined) throw invalidFileSizeLimit();
  if (bytes > globalLimit) throw entityTooLarge();
  return bytes;
}

/** Storage's validateMimeType for a bucket's allowed_mime_types. */
export function checkAllowedMimeTypes(types: string[]): void {
  for (const t of types) {
    if (t.length > 1000 || !/^([a-zA-Z0-9\-+.]+)\/([a-zA-Z0-9\-+.]+)(;\s*charset=[a-zA-Z0-9\-]+)?$|\*$/.test(t)) throw invalidMimeType(t);
  }
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
