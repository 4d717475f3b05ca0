import type { StoredMessage } from './store.ts';

/** The catcher's web page: the inbox list and one message (server-rendered, no script). */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1f24}header{background:#24292f;color:#fff;padding:10px 16px}
header a{color:#fff;text-decoration:none;font-weight:600}main{padding:12px 16px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d0d7de}tr.unread td{font-weight:600}
iframe{width:100%;height:70vh;border:1px solid #d0d7de}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
dt{color:#57606a}pre{white-space:pre-wrap;background:#f6f8fa;padding:8px}form{display:inline}`;

function page(title: string, body: string, refresh = false): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`
    + (refresh ? '<meta http-equiv="refresh" content="5">' : '')
    + `<meta name="viewport" content="width=device-width"><meta name="referrer" content="no-referrer">`
    // No icon: the browser would ask for /favicon.ico, a 404 in every page's console.
    + `<link rel="icon" href="data:,"><style>${STYLE}</style></head>`
    + `<body><header><a href="/">Hotwatch inbox</a> <small>(Mailpit-compatible API at /api/v1)</small></header><main>${body}</main></body></html>`;
}

const addr = (a: { Name: string; Address: string } | null): string =>
  a ? (a.Name ? `${a.Name} <${a.Address}>` : a.Address) : '';

export function inboxPage(messages: readonly StoredMessage[]): string {
  const rows = messages.map((m) => `<tr class="${m.Read ? 'read' : 'unread'}">`
    + `<td>${escapeHtml(addr(m.From))}</td><td>${escapeHtml(m.To.map(addr).join(', '))}</td>`
    + `<td><a href="/view/${encodeURIComponent(m.ID)}">${escapeHtml(m.Subject || '(no subject)')}</a></td>`
    + `<td><time datetime="${m.Created.toISOString()}">${m.Created.toISOString().replace('T', ' ').slice(0, 19)}</time></td></tr>`).join('');
  const table = messages.length === 0
    ? '<p>No messages.</p>'
    : `<table><thead><tr><th>From</th><th>To</th><th>Subject</th><th>Received (UTC)</th></tr></thead><tbody>${rows}</tbody></table>`;
  // Reloads itself every 5 s: new mail shows up without a script.
  return page(`Inbox (${messages.length})`, `<h1>Inbox</h1>${table}`, true);
}

/**
 * One message: headers, then the HTML body in a sandboxed frame (no scripts) whose links
 * open in this window (base target _top), so a confirmation link works as in a mail client.
 */
export function messagePage(m: StoredMessage): string {
  const html = m.HTML
    ? `<iframe title="Message body" sandbox="allow-top-navigation-by-user-activation allow-popups" srcdoc="${escapeHtml(`<base target="_top">${m.HTML}`)}"></iframe>`
    : `<pre>${escapeHtml(m.Text)}</pre>`;
  return page(m.Subject || '(no subject)', `<h1>${escapeHtml(m.Subject || '(no subject)')}</h1>`
    + `<dl><dt>From</dt><dd>${escapeHtml(addr(m.From))}</dd><dt>To</dt><dd>${escapeHtml(m.To.map(addr).join(', '))}</dd>`
    + `<dt>Date</dt><dd>${m.Date.toISOString()}</dd></dl>${html}`
    + `<p><a href="/api/v1/message/${encodeURIComponent(m.ID)}/raw">Raw source</a></p>`);
}
