/** A channel's Vault secret: JSON {"url", "secret"} (written by notification-channels, read by the worker). */
export interface StoredSecret {
  url: string;
  secret: string;
}

export function encodeStoredSecret(s: StoredSecret): string {
  return JSON.stringify({ url: s.url, secret: s.secret });
}

export function parseStoredSecret(text: string | null): StoredSecret | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { url?: unknown; secret?: unknown };
    return typeof v.url === 'string' && typeof v.secret === 'string' ? { url: v.url, secret: v.secret } : null;
  } catch {
    return null;
  }
}
