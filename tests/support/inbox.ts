import { inject } from 'vitest';

/** Reading the stack's mail catcher through its Mailpit-compatible API, as a tool written for the CLI's inbox would. */

export interface InboxMessage {
  ID: string;
  Subject: string;
  To: Array<{ Name: string; Address: string }>;
  From: { Name: string; Address: string };
  HTML: string;
  Text: string;
}

function mailUrl(): string {
  const url = inject('stack').mailUrl;
  if (!url) throw new Error('no mail catcher: these tests need the embedded stack');
  return url;
}

/** Every message to `address` (newest first), waiting up to `timeoutMs` for at least `count`. */
export async function messagesTo(address: string, count = 1, timeoutMs = 15_000): Promise<InboxMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await (await fetch(`${mailUrl()}/api/v1/messages?limit=500`)).json() as { messages: Array<{ ID: string; To: Array<{ Address: string }> }> };
    const ids = list.messages.filter((m) => m.To.some((t) => t.Address.toLowerCase() === address.toLowerCase())).map((m) => m.ID);
    if (ids.length >= count) {
      return Promise.all(ids.map(async (id) => (await (await fetch(`${mailUrl()}/api/v1/message/${id}`)).json()) as InboxMessage));
    }
    if (Date.now() > deadline) throw new Error(`expected ${count} message(s) to ${address}, found ${ids.length}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The newest message to `address`. */
export async function latestTo(address: string, count = 1): Promise<InboxMessage> {
  return (await messagesTo(address, count))[0]!;
}

/** The first link into Auth's /verify in a message's HTML (entities decoded). */
export function verifyLink(m: InboxMessage): string {
  const href = /href="([^"]*\/auth\/v1\/verify[^"]*)"/.exec(m.HTML)?.[1];
  if (!href) throw new Error(`no verify link in "${m.Subject}": ${m.HTML}`);
  return href.replaceAll('&amp;', '&').replaceAll('&#34;', '"').replaceAll('&#39;', "'");
}

/** The OTP code in a default-template message ("enter the code: 123456"). */
export function otpCode(m: InboxMessage): string {
  const code = /enter the code: (\d+)/.exec(m.HTML)?.[1];
  if (!code) throw new Error(`no code in "${m.Subject}"`);
  return code;
}

/** Follow a verify link without following its redirect: the 303's Location and its fragment as a map. */
export async function openLink(link: string): Promise<{ status: number; location: string; fragment: Record<string, string> }> {
  const res = await fetch(link, { redirect: 'manual' });
  const location = res.headers.get('location') ?? '';
  const hash = location.includes('#') ? location.slice(location.indexOf('#') + 1) : '';
  return { status: res.status, location, fragment: Object.fromEntries(new URLSearchParams(hash)) };
}
