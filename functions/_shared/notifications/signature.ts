/**
 * The webhook signature, as Stripe signs: `Hotwatch-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "<t>.<raw body>" keyed with the channel secret>`. Computed afresh for
 * every attempt, so a receiver can refuse old timestamps (replay) while the
 * Idempotency-Key stays the same. Web Crypto only (Deno and Node alike).
 */
const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function signatureHeader(secret: string, rawBody: string, unixSeconds: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`${unixSeconds}.${rawBody}`));
  return `t=${unixSeconds},v1=${hex(mac)}`;
}

/** A new channel secret: 32 random bytes, hex, prefixed so it is recognisable in a leak scan. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${hex(bytes.buffer)}`;
}
