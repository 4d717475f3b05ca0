/**
 * The email kind's two transports against local servers on 127.0.0.1: SMTP (a scripted
 * minimal server: its answer to RCPT decides — 250 accepted, 550 permanent, 451 retried)
 * through nodemailer, and an HTTP mail API (Resend's JSON, Bearer key, Idempotency-Key).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { judge } from '../../../functions/_shared/notifications/retry.ts';
import { sendAttempt, type SendDeps } from '../../../functions/_shared/notifications/send.ts';
import type { Notification } from '../../../functions/_shared/notifications/types.ts';

const notification: Notification = {
  event: 'fired', idempotencyKey: 'alert-5-v2-fired', occurredAt: '2026-12-06T03:00:00Z',
  org: { id: 'o', slug: 'north', name: 'North' }, alertUrl: 'http://127.0.0.1/dashboard/#alert-5', place: null,
  alert: {
    id: 5, org_id: 'o', hotspot_id: 2, category: 'fire', severity: 'high', state: 'firing', title: 'High fire hotspot', description: 'text',
    notify_count: 1, notified_observed: 30, notified_cells: 1, consecutive_detections: 1, created_at: '', updated_at: '', last_notified_at: null,
    acknowledged_at: null, resolved_at: null,
  },
};
const deps: SendDeps = { resolveHost: async () => [], allowPrivateTargets: true, mail: { from: 'Hotwatch <alerts@example.com>' } };
const closers: Array<() => void> = [];
afterEach(() => { closers.splice(0).forEach((c) => c()); });

/** A minimal SMTP server whose answer to RCPT TO is `rcpt`; records the DATA it gets. */
async function smtpServer(rcpt: string): Promise<{ port: number; data: string[] }> {
  const data: string[] = [];
  const server = net.createServer((s) => {
    s.write('220 test ESMTP\r\n');
    let buf = '';
    let inData = false;
    let message = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') { inData = false; data.push(message); s.write('250 2.0.0 queued as 1\r\n'); } else message += `${line}\n`;
        } else if (/^EHLO/i.test(line)) s.write('250-test\r\n250 8BITMIME\r\n');
        else if (/^RCPT/i.test(line)) s.write(`${rcpt}\r\n`);
        else if (/^DATA/i.test(line)) { inData = true; s.write('354 go ahead\r\n'); }
        else if (/^QUIT/i.test(line)) { s.write('221 bye\r\n'); s.end(); }
        else s.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, data };
}

const email = (url: string, extra: { secret?: string } = {}) => ({ kind: 'email', url, secret: extra.secret ?? '', addresses: ['duty@example.com', 'ops@example.com'], notification });

describe('email over SMTP', () => {
  it('250: accepted, both parts sent to every address, the Message-ID from the idempotency key', async () => {
    const srv = await smtpServer('250 2.1.5 ok');
    const { result } = await sendAttempt(email(`smtp://127.0.0.1:${srv.port}`), deps);
    expect(judge(result, 1, 0, 0)).toEqual({ outcome: 'delivered' });
    const raw = srv.data[0]!;
    expect(raw).toContain('Subject: [Hotwatch] Alert fired: High fire hotspot (high)');
    expect(raw).toMatch(/^To: duty@example.com, ops@example.com$/m);
    expect(raw).toContain('Message-ID: <alert-5-v2-fired@hotwatch.notifications>');
    expect(raw).toContain('Content-Type: text/plain');
    expect(raw).toContain('Content-Type: text/html');
  });
  it('550 is permanent, 451 is retried; a closed port is retried', async () => {
    const refused = await smtpServer('550 5.1.1 no such user');
    const v1 = judge((await sendAttempt(email(`smtp://127.0.0.1:${refused.port}`), deps)).result, 1, 0, 0);
    expect(v1).toMatchObject({ outcome: 'failed', error: expect.stringContaining('550') });
    const later = await smtpServer('451 4.3.0 try later');
    expect(judge((await sendAttempt(email(`smtp://127.0.0.1:${later.port}`), deps)).result, 1, 0, 0).outcome).toBe('retry');
    const closed = await smtpServer('250 ok');
    closers.splice(0).forEach((c) => c());
    await new Promise((r) => setTimeout(r, 50));
    expect(judge((await sendAttempt(email(`smtp://127.0.0.1:${closed.port}`), deps)).result, 1, 0, 0).outcome).toBe('retry');
  });
  it('no server anywhere: refused with what to set', async () => {
    const { result } = await sendAttempt(email(''), { ...deps, mail: {} });
    expect(result).toEqual({ kind: 'refused', message: expect.stringContaining('HOTWATCH_MAIL_URL') });
  });
});

describe('email over an HTTP mail API', () => {
  it('POSTs Resend\'s JSON with the Bearer key and the Idempotency-Key; the project\'s URL when the channel names none', async () => {
    const got: Array<{ headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => { got.push({ headers: req.headers, body: JSON.parse(raw) }); res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"m1"}'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/emails`;
    expect(judge((await sendAttempt(email(url, { secret: 're_channel_key' }), deps)).result, 1, 0, 0)).toEqual({ outcome: 'delivered' });
    expect(judge((await sendAttempt(email(''), { ...deps, mail: { url, apiKey: 're_project_key', from: 'a@example.com' } })).result, 1, 0, 0)).toEqual({ outcome: 'delivered' });
    expect(got.map((g) => g.headers.authorization)).toEqual(['Bearer re_channel_key', 'Bearer re_project_key']);
    expect(got[0]!.headers['idempotency-key']).toBe('alert-5-v2-fired');
    expect(got[0]!.headers['content-type']).toBe('application/json');
    expect(got[0]!.body).toMatchObject({ from: 'Hotwatch <alerts@example.com>', to: ['duty@example.com', 'ops@example.com'], subject: expect.stringContaining('High fire hotspot') });
    expect(Object.keys(got[0]!.body).sort()).toEqual(['from', 'html', 'subject', 'text', 'to']);
  });
});
