/**
 * Realtime's REST Broadcast endpoints (under /realtime/v1/api):
 *   POST /broadcast                              {messages:[{topic, event, payload, private?, id?}]} → 202
 *   POST /broadcast/:topic/events/:event[?private=true]   JSON or octet-stream body → 202
 * Auth is the Bearer JWT (the gateway supplies it from the apikey when absent). Private
 * messages go out only when the caller may insert on realtime.messages for that topic
 * (RLS, as Realtime's BatchBroadcast checks); otherwise they are skipped silently.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RealtimeContext } from './context.ts';
import { hubKey, type BroadcastMessage } from './hub.ts';
import type { Claims } from './jwt.ts';
import { writePolicy } from './private-channels.ts';

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { 'content-length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function bearer(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  const key = req.headers.apikey;
  return typeof key === 'string' ? key : undefined;
}

function xHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-') && typeof v === 'string') out[k] = v;
  return out;
}

export async function handleBroadcastApi(ctx: RealtimeContext, req: IncomingMessage, res: ServerResponse, subpath: string): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://realtime');
  if (subpath === '/api/ping' && req.method === 'GET') return send(res, 200, { message: 'Success' });
  const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(subpath);
  if (subpath !== '/api/broadcast' && !single) return send(res, 404, { message: 'Not Found' });
  if (req.method !== 'POST') return send(res, 405, { message: 'Method Not Allowed' });

  const token = bearer(req);
  const verified = await ctx.tokens.verify(token);
  if (!verified.ok) return send(res, 401, { message: 'Unauthorized' });
  const claims = verified.claims;

  const body = await readBody(req, ctx.limits.maxFrameBytes);
  if (!body) return send(res, 413, { message: 'Payload Too Large' });

  if (single) {
    const topic = decodeURIComponent(single[1]!);
    const event = decodeURIComponent(single[2]!);
    const isPrivate = url.searchParams.get('private') === 'true';
    const binary = /application\/octet-stream/i.test(String(req.headers['content-type'] ?? ''));
    if (body.length > ctx.limits.maxPayloadBytes) return send(res, 422, { errors: { payload: ['Payload size exceeds tenant limit'] } });
    const msg: BroadcastMessage = { event, userBroadcast: true };
    if (binary) msg.binary = body;
    else {
      try { msg.json = JSON.stringify(JSON.parse(body.toString('utf8') || 'null')); } catch {
        return send(res, 400, { message: 'Malformed JSON' });
      }
    }
    if (isPrivate && !(await mayWrite(ctx, req, claims, topic))) return send(res, 202);
    ctx.hub.broadcast(hubKey(isPrivate, topic), msg);
    return send(res, 202);
  }

  let parsed: unknown;
  try { parsed = JSON.parse(body.toString('utf8')); } catch { return send(res, 400, { message: 'Malformed JSON' }); }
  const messages = (parsed as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return send(res, 422, { errors: { messages: ["can't be blank"] } });
  if (messages.length > ctx.limits.maxRestBatchMessages) {
    return send(res, 429, { message: 'Too many messages to broadcast, please reduce the batch size' });
  }
  const errors: Array<Record<string, string[]>> = [];
  const valid: Array<{ topic: string; event: string; payload: string; private: boolean; id?: string }> = [];
  for (const m of messages) {
    const o = (m ?? {}) as Record<string, unknown>;
    const e: Record<string, string[]> = {};
    if (typeof o.topic !== 'string' || o.topic === '') e.topic = ["can't be blank"];
    if (typeof o.event !== 'string' || o.event === '') e.event = ["can't be blank"];
    if (o.payload === null || typeof o.payload !== 'object' || Array.isArray(o.payload)) e.payload = o.payload === undefined ? ["can't be blank"] : ['is invalid'];
    const payload = JSON.stringify(o.payload ?? null);
    if (!e.payload && Buffer.byteLength(payload) > ctx.limits.maxPayloadBytes) e.payload = ['Payload size exceeds tenant limit'];
    errors.push(e);
    if (Object.keys(e).length === 0) {
      valid.push({ topic: o.topic as string, event: o.event as string, payload, private: o.private === true || o.private === 'true', ...(typeof o.id === 'string' ? { id: o.id } : {}) });
    }
  }
  if (valid.length !== messages.length) return send(res, 422, { errors: { messages: errors } });

  const allowed = new Map<string, Promise<boolean>>();
  for (const m of valid) {
    if (m.private) {
      let ok = allowed.get(m.topic);
      if (!ok) { ok = mayWrite(ctx, req, claims, m.topic); allowed.set(m.topic, ok); }
      if (!(await ok)) continue;
    }
    const raw = `{"payload":${m.payload},"event":${JSON.stringify(m.event)},"type":"broadcast"${m.id ? `,"meta":{"id":${JSON.stringify(m.id)}}` : ''}}`;
    ctx.hub.broadcast(hubKey(m.private, m.topic), { event: m.event, raw, userBroadcast: false });
  }
  return send(res, 202);
}

async function mayWrite(ctx: RealtimeContext, req: IncomingMessage, claims: Claims, topic: string): Promise<boolean> {
  try {
    return await writePolicy(ctx.sql, { role: claims.role, topic, claims, headers: xHeaders(req) }, 'broadcast');
  } catch (e) {
    ctx.log.warn('broadcast write authorization failed', { code: 'RlsPolicyError', topic, error: String(e) });
    return false;
  }
}
