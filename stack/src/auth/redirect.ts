import { isIP } from 'node:net';
import type { AuthSettings } from './settings.ts';

/**
 * Redirect URL checks as Supabase Auth's utilities.IsRedirectURLValid / GetReferrer
 * (internal/utilities/request.go): the site's own host (any port on loopback), any
 * loopback IP, or a match of one additional_redirect_urls glob (gobwas/glob with '.' and
 * '/' as separators: `*` stays within a label or segment, `**` crosses them).
 */

function escapeRe(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** gobwas/glob.Compile(pattern, '.', '/') as a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const sep = '[^./]';
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) { out += escapeRe(pattern[++i]!); continue; }
    if (c === '*') {
      if (pattern[i + 1] === '*') { out += '.*'; i++; } else out += `${sep}*`;
      continue;
    }
    if (c === '?') { out += sep; continue; }
    if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end > i) {
        let body = pattern.slice(i + 1, end);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
        continue;
      }
    }
    if (c === '{') {
      const end = pattern.indexOf('}', i + 1);
      if (end > i) {
        out += `(?:${pattern.slice(i + 1, end).split(',').map((alt) => globToRegExp(alt).source.slice(1, -1)).join('|')})`;
        i = end;
        continue;
      }
    }
    out += escapeRe(c);
  }
  return new RegExp(`^${out}$`);
}

const REGULAR_HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/**
 * The host as written (Go's url.Hostname()), not as WHATWG URL normalises it: that turns
 * "http://2130706433/" into 127.0.0.1, the very form GoTrue refuses.
 */
function rawHostname(u: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(u);
  return (m?.[1] ?? '').replace(/^\[|\]$/g, '');
}

export function isRedirectUrlValid(settings: AuthSettings, redirectUrl: string): boolean {
  if (redirectUrl === '' || [...redirectUrl].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f)) return false;
  let base: URL;
  let ref: URL;
  try { base = new URL(settings.siteUrl); ref = new URL(redirectUrl); } catch { return false; }
  const refHost = rawHostname(redirectUrl);
  if (rawHostname(settings.siteUrl) === refHost && base.protocol === ref.protocol && (base.port === ref.port || isLoopback(refHost))) return true;
  if (/^[0-9]+$/.test(refHost)) return false;
  if (isIP(refHost) !== 0) return isLoopback(refHost);
  const isHttp = ref.protocol === 'http:' || ref.protocol === 'https:';
  if (isHttp && !REGULAR_HOSTNAME.test(refHost)) return false;
  const withoutFragment = redirectUrl.split('#')[0] ?? '';
  return settings.additionalRedirectUrls.some((p) => globToRegExp(p).test(withoutFragment));
}

/** GoTrue's getRedirectTo: a `redirect_to` header, else the query's (or a form body's). */
function requestedRedirect(headers: Headers, url: URL, params?: Record<string, unknown>): string {
  const h = headers.get('redirect_to');
  if (h) return h;
  const q = url.searchParams.get('redirect_to');
  if (q) return q;
  return typeof params?.redirect_to === 'string' && (headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')
    ? params.redirect_to : '';
}

/** GoTrue's GetReferrer: the requested redirect if valid, else the Referer if valid, else site_url. */
export function getReferrer(settings: AuthSettings, headers: Headers, url: URL, params?: Record<string, unknown>): string {
  const wanted = requestedRedirect(headers, url, params);
  if (isRedirectUrlValid(settings, wanted)) return wanted;
  const referer = headers.get('referer') ?? '';
  if (isRedirectUrlValid(settings, referer)) return referer;
  return settings.siteUrl;
}

/** Go's url.Values.Encode: keys sorted, QueryEscape (space as '+', only A-Za-z0-9-_.~ unescaped). */
export function goQueryEncode(values: Record<string, string>): string {
  const esc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  return Object.keys(values).sort().map((k) => `${esc(k)}=${esc(values[k]!)}`).join('&');
}
