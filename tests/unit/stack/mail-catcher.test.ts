import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../stack/src/log.ts';
import { startMailCatcher, type MailCatcher } from '../../../stack/src/mail/catcher.ts';
import { freePort } from '../../../stack/src/postgres/embedded.ts';

let catcher: MailCatcher;
beforeAll(async () => {
  catcher = await startMailCatcher({ host: '127.0.0.1', smtpPort: await freePort(), httpPort: await freePort(), log: createLogger('mail', true) });
});
afterAll(() => catcher.stop());

async function send(to: string, subject: string, html: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: catcher.smtpHost, port: catcher.smtpPort, secure: false, ignoreTLS: true });
  await transport.sendMail({ from: '"Admin" <admin@email.com>', to, subject, html, text: html.replace(/<[^>]+>/g, '') });
  transport.close();
}

describe('mail catcher (Mailpit-compatible)', () => {
  it('lists, shows, marks read and deletes messages with Mailpit\'s API shapes', async () => {
    await fetch(`${catcher.url}/api/v1/messages`, { method: 'DELETE' });
    await send('Ann <ann@example.com>', 'First', '<p>Hello <a href="http://127.0.0.1/x?a=1&amp;b=2">link</a></p>');
    await send('bob@example.com', 'Second', '<p>Two</p>');

    const list = await (await fetch(`${catcher.url}/api/v1/messages`)).json() as Record<string, unknown>;
    expect(list).toMatchObject({ total: 2, unread: 2, messages_count: 2, start: 0, tags: [] });
    const messages = list.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.Subject)).toEqual(['Second', 'First']);
    const first = messages[1]!;
    expect(first).toMatchObject({
      From: { Name: 'Admin', Address: 'admin@email.com' }, To: [{ Name: 'Ann', Address: 'ann@example.com' }],
      Read: false, Attachments: 0, Snippet: 'Hello link',
    });
    expect(first.ID).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(typeof first.MessageID).toBe('string');
    expect(Number.isNaN(Date.parse(String(first.Created)))).toBe(false);
    expect(first.Size).toBeGreaterThan(100);

    const one = await (await fetch(`${catcher.url}/api/v1/message/${String(first.ID)}`)).json() as Record<string, unknown>;
    expect(one).toMatchObject({ ID: first.ID, Subject: 'First', Text: expect.stringContaining('Hello'), HTML: expect.stringContaining('href="http://127.0.0.1/x?a=1&amp;b=2"') });
    const latest = await (await fetch(`${catcher.url}/api/v1/message/latest`)).json() as Record<string, unknown>;
    expect(latest.Subject).toBe('Second');
    const after = await (await fetch(`${catcher.url}/api/v1/messages`)).json() as Record<string, unknown>;
    expect(after.unread).toBe(0);
    expect((await fetch(`${catcher.url}/api/v1/message/nope`)).status).toBe(404);

    const page = await (await fetch(`${catcher.url}/`)).text();
    expect(page).toContain(`href="/view/${String(first.ID)}"`);
    const view = await (await fetch(`${catcher.url}/view/${String(first.ID)}`)).text();
    expect(view).toContain('srcdoc=');
    expect(view).not.toContain('<a href="http://127.0.0.1/x'); // the body is escaped into the sandboxed frame

    const search = async (q: string): Promise<string[]> => ((await (await fetch(`${catcher.url}/api/v1/search?query=${encodeURIComponent(q)}`)).json()) as { messages: Array<{ Subject: string }> }).messages.map((m) => m.Subject);
    expect(await search('to:ann@example.com')).toEqual(['First']);
    expect(await search('subject:"sec"')).toEqual(['Second']);
    expect(await search('hello -to:bob')).toEqual(['First']);
    expect(await search('from:admin@email.com')).toEqual(['Second', 'First']);
    expect(await search('nothing-like-this')).toEqual([]);

    const del = await fetch(`${catcher.url}/api/v1/messages`, { method: 'DELETE', body: JSON.stringify({ IDs: [first.ID] }) });
    expect(await del.text()).toBe('ok');
    expect(((await (await fetch(`${catcher.url}/api/v1/messages`)).json()) as { total: number }).total).toBe(1);
    await fetch(`${catcher.url}/api/v1/messages`, { method: 'DELETE' });
    expect(((await (await fetch(`${catcher.url}/api/v1/messages`)).json()) as { total: number }).total).toBe(0);
  });
});
