/**
 * Normalising rows from the three sources into one shape. Resume pages and
 * broadcasts carry `to_jsonb(row)` (ids and versions as JSON numbers); postgres_changes
 * records are converted by realtime-js from PostgreSQL text by column type. The fields
 * the guarantee depends on are coerced here: `id` and `version` to numbers, `tx_id` to text.
 */
import type { StreamName, StreamRow } from './types.ts';

export function toStreamRow<S extends StreamName>(raw: unknown): StreamRow<S> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const id = Number(r['id']);
  const version = Number(r['version']);
  if (!Number.isSafeInteger(id) || !Number.isSafeInteger(version)) return undefined;
  const txId = r['tx_id'];
  if (id === r['id'] && version === r['version'] && (txId === undefined || typeof txId === 'string')) return raw as StreamRow<S>;
  return { ...r, id, version, ...(txId === undefined ? {} : { tx_id: String(txId) }) } as unknown as StreamRow<S>;
}
