/**
 * A channel's Vault secret: JSON {"url", "secret", "addresses"?} (written by
 * notification-channels, read by the worker). An email channel's addresses are kept
 * here too: who is paged is the org's own business, not a column members read.
 */
export interface StoredSecret {
  url: string;
  secret: string;
  addresses?: string[];
}

export function encodeStoredSecret(s: StoredSecret): string {
  return JSON.stringify({ url: s.url, secret: s.secret, ...(s.addresses ? { addresses: s.addresses } : {}) });
}

export function parseStoredSecret(text: string | null): StoredSecret | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { url?: unknown; secret?: unknown; addresses?: unknown };
    if (typeof v.url !== 'string' || typeof v.secret !== 'string') return null;
    const addresses = Array.isArray(v.addresses) && v.addresses.every((a) => typeof a === 'string') ? v.addresses as string[] : undefined;
    return { url: v.url, secret: v.secret, ...(addresses ? { addresses } : {}) };
  } catch {
    return null;
  }
}
