/**
 * The idempotency key of a row without an external id (pure): a hash of its mapped
 * fields, so a re-run of the same file sends the same key and the server counts the
 * stored row as a duplicate. Two rows with identical mapped fields are one event.
 */
import { createHash } from 'node:crypto';

export interface HashedFields {
  source: string;
  category: string;
  occurred_at: string;
  lat: number;
  lng: number;
}

export function rowHashId(f: HashedFields): string {
  const canonical = JSON.stringify([f.source, f.category, f.occurred_at, f.lat, f.lng]);
  return `h:${createHash('sha256').update(canonical).digest('hex').slice(0, 40)}`;
}
