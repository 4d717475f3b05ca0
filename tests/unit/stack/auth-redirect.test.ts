import { describe, expect, it } from 'vitest';
import { globToRegExp, goQueryEncode, isRedirectUrlValid } from '../../../stack/src/auth/redirect.ts';
import { renderTemplate } from '../../../stack/src/auth/mail-templates.ts';
import { parseDurationSeconds, type AuthSettings } from '../../../stack/src/auth/settings.ts';

const settings = { siteUrl: 'https://app.example.com/home', additionalRedirectUrls: ['https://*.example.org/cb', 'myapp://**', 'https://docs.example.net/**'] } as AuthSettings;

describe('Auth redirect URL rules (utilities.IsRedirectURLValid)', () => {
  it('accepts the site host (same scheme and port), loopback, and allow-list globs', () => {
    expect(isRedirectUrlValid(settings, 'https://app.example.com/anything?x=1')).toBe(true);
    expect(isRedirectUrlValid(settings, 'http://app.example.com/')).toBe(false); // scheme differs
    expect(isRedirectUrlValid(settings, 'https://app.example.com:8443/')).toBe(false); // port differs, not loopback
    expect(isRedirectUrlValid(settings, 'http://127.0.0.1:5173/cb')).toBe(true);
    expect(isRedirectUrlValid(settings, 'http://[::1]:5173/cb')).toBe(true);
    expect(isRedirectUrlValid(settings, 'http://10.0.0.1/cb')).toBe(false);
    expect(isRedirectUrlValid(settings, 'http://2130706433/')).toBe(false); // decimal IP
    expect(isRedirectUrlValid(settings, 'https://pr1.example.org/cb')).toBe(true);
    expect(isRedirectUrlValid(settings, 'https://a.pr1.example.org/cb')).toBe(false);
    expect(isRedirectUrlValid(settings, 'https://pr1.example.org/cb#frag')).toBe(true); // matched without the fragment
    expect(isRedirectUrlValid(settings, 'myapp://login/callback')).toBe(true);
    expect(isRedirectUrlValid(settings, 'https://docs.example.net/a/b/c')).toBe(true);
    expect(isRedirectUrlValid(settings, ' https://app.example.com/')).toBe(false); // control characters and spaces
    expect(isRedirectUrlValid(settings, '')).toBe(false);
  });

  it('compiles gobwas globs with . and / as separators', () => {
    expect(globToRegExp('https://?.x.com/{a,b}').test('https://z.x.com/b')).toBe(true);
    expect(globToRegExp('https://[ab].x.com/').test('https://c.x.com/')).toBe(false);
    expect(globToRegExp('https://x.com/*').test('https://x.com/a/b')).toBe(false);
    expect(globToRegExp('https://x.com/**').test('https://x.com/a/b')).toBe(true);
  });

  it("encodes fragments as Go's url.Values.Encode", () => {
    expect(goQueryEncode({ error_description: 'Email link is invalid or has expired', error: 'access_denied', x: "a*b'(c)~" }))
      .toBe("error=access_denied&error_description=Email+link+is+invalid+or+has+expired&x=a%2Ab%27%28c%29~");
  });
});

describe('email templates', () => {
  it('substitutes fields and .Data keys, escaping for HTML', () => {
    const out = renderTemplate('<a href="{{ .ConfirmationURL }}">{{ .Data.name }}</a> {{.Token}} {{ if .X }}', {
      SiteURL: 's', ConfirmationURL: 'http://h/verify?token=a&type=invite', Email: 'e', Token: '123456', Data: { name: '<Ann>' },
    }, { html: true });
    expect(out).toBe('<a href="http://h/verify?token=a&amp;type=invite">&lt;Ann&gt;</a> 123456 {{ if .X }}');
  });

  it('reads Go durations', () => {
    expect(parseDurationSeconds('1s')).toBe(1);
    expect(parseDurationSeconds('1m30s')).toBe(90);
    expect(parseDurationSeconds('2h')).toBe(7200);
    expect(() => parseDurationSeconds('soon')).toThrow();
  });
});
