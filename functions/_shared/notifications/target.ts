/**
 * Which receivers a channel may point at (pure). Private, loopback, link-local and
 * other non-public addresses are refused unless the project allows them
 * (HOTWATCH_ALLOW_PRIVATE_TARGETS, on only in the local config.toml): a webhook URL is
 * user input that the project's own servers fetch, the classic SSRF path into a
 * private network or a cloud metadata endpoint (169.254.169.254).
 *
 * The host's addresses are resolved by the caller (DNS is I/O) and checked here, at
 * create/update and again before every send, so a name that later resolves inside is
 * refused too.
 */
import ipaddr from 'ipaddr.js';

export const MAX_URL_LENGTH = 2000;

export type UrlCheck = { ok: true; url: URL; host: string } | { ok: false; code: 'invalid_url' | 'unsupported_scheme'; message: string };

export const HTTP_SCHEMES = ['http:', 'https:'] as const;

/** Parse a receiver URL: absolute, one of `schemes` (http(s) by default), at most MAX_URL_LENGTH characters. */
export function parseTargetUrl(raw: string, schemes: readonly string[] = HTTP_SCHEMES): UrlCheck {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, code: 'invalid_url', message: `At most ${MAX_URL_LENGTH} characters.` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, code: 'invalid_url', message: 'Not an absolute URL.' };
  }
  if (!schemes.includes(url.protocol)) {
    return { ok: false, code: 'unsupported_scheme', message: `Use a URL starting ${schemes.map((s) => `${s}//`).join(' or ')}.` };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return { ok: false, code: 'invalid_url', message: 'The URL has no host.' };
  return { ok: true, url, host };
}

/** The address literal in `host`, or null for a name that needs resolving. */
export function addressLiteral(host: string): string | null {
  return ipaddr.isValid(host) ? host : null;
}

/** Names that are loopback by definition (RFC 6761), never sent to DNS. */
export function isLoopbackName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

/** A globally routable unicast address (IPv4-mapped IPv6 judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

export type TargetDecision = { ok: true } | { ok: false; code: 'private_target' | 'unresolvable'; message: string };

/** Decide on a receiver from its host and the addresses it resolves to. */
export function checkTarget(host: string, addresses: readonly string[], allowPrivate: boolean): TargetDecision {
  if (addresses.length === 0 && !isLoopbackName(host)) {
    return { ok: false, code: 'unresolvable', message: `${host} does not resolve to an address.` };
  }
  if (allowPrivate) return { ok: true };
  const inside = isLoopbackName(host) ? host : addresses.find((a) => !isPublicAddress(a));
  if (inside !== undefined) {
    return {
      ok: false, code: 'private_target',
      message: `${host} is a private, loopback or link-local address (${inside}); this project does not allow such targets (HOTWATCH_ALLOW_PRIVATE_TARGETS).`,
    };
  }
  return { ok: true };
}
