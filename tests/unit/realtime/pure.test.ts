import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveRealtimeLimits } from '../../../stack/src/realtime/config.ts';
import { DEFAULT_LIMITS } from '../../../stack/src/realtime/constants.ts';
import { matchesFilters, parseBinding, parseFilter, parseTimestampMicros } from '../../../stack/src/realtime/filters.ts';
import { PgOutputDecoder, lsnFromString, lsnToString } from '../../../stack/src/realtime/pgoutput.ts';
import { parseArrayLiteral, parseRecordLiteral, valueToJson, type PgType } from '../../../stack/src/realtime/pg-values.ts';
import { claimPathsOf, groupKey, mergeClaimPaths } from '../../../stack/src/realtime/policy-claims.ts';
import { DecodeError, decodeFrame, encodeReply, encodeText, encodeUserBroadcast, encodeUserBroadcastPush } from '../../../stack/src/realtime/serializer.ts';
import { bindingId } from '../../../stack/src/realtime/subscriptions.ts';

const T = (name: string, kind: PgType['kind'] = 'string', extra: Partial<PgType> = {}): PgType => ({ oid: 0, name, kind, ...extra });
const row = (o: Record<string, string | null>): Map<string, string | null> => new Map(Object.entries(o));

describe('serializer', () => {
  it('decodes vsn 2 arrays and vsn 1 objects', () => {
    expect(decodeFrame(Buffer.from('["1","2","realtime:a","phx_join",{"x":1}]'), false, '2.0.0'))
      .toEqual({ kind: 'json', joinRef: '1', ref: '2', topic: 'realtime:a', event: 'phx_join', payload: { x: 1 } });
    expect(decodeFrame(Buffer.from('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"3"}'), false, '1.0.0'))
      .toEqual({ kind: 'json', joinRef: null, ref: '3', topic: 'phoenix', event: 'heartbeat', payload: {} });
  });

  it('round-trips kind 3 as realtime-js builds it', () => {
    const frame = encodeUserBroadcastPush('6', '7', 'realtime:room1', 'cursor', Buffer.from('{"x":1}'));
    expect([...frame.subarray(0, 7)]).toEqual([3, 1, 1, 14, 6, 0, 1]);
    const m = decodeFrame(frame, true, '2.0.0');
    expect(m).toMatchObject({ kind: 'user-broadcast', joinRef: '6', ref: '7', topic: 'realtime:room1', userEvent: 'cursor', metadata: '', encoding: 1 });
    expect(m.kind === 'user-broadcast' && m.payload.toString()).toBe('{"x":1}');
  });

  it('encodes kind 4 and refuses fields over 255 bytes', () => {
    const f = encodeUserBroadcast('realtime:t', 'e', '{"id":"1"}', 1, Buffer.from('{}'))!;
    expect([...f.subarray(0, 5)]).toEqual([4, 10, 1, 10, 1]);
    expect(f.subarray(5).toString()).toBe('realtime:te{"id":"1"}{}');
    expect(encodeUserBroadcast('realtime:' + 'x'.repeat(300), 'e', '', 1, Buffer.alloc(0))).toBeUndefined();
  });

  it('encodes replies and pushes for both versions', () => {
    expect(encodeReply('2.0.0', '1', '2', 'realtime:a', 'ok', { a: 1 })).toBe('["1","2","realtime:a","phx_reply",{"status":"ok","response":{"a":1}}]');
    expect(JSON.parse(encodeText('1.0.0', '1', null, 'realtime:a', 'system', '{}'))).toEqual({ topic: 'realtime:a', event: 'system', payload: {}, ref: null });
  });

  it('never throws anything but DecodeError on arbitrary input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.constantFrom('1.0.0', '2.0.0'), (bytes, binary, vsn) => {
      try { decodeFrame(Buffer.from(bytes), binary, vsn as '1.0.0' | '2.0.0'); } catch (e) { expect(e).toBeInstanceOf(DecodeError); }
    }), { numRuns: 2000 });
  });
});

describe('filters', () => {
  it('parses like Realtime, including quoting, not. and AND', () => {
    expect(parseFilter('id=eq.1')).toEqual({ ok: true, value: [{ column: 'id', baseColumn: 'id', op: 'eq', value: '1', negate: false }] });
    expect(parseFilter('name=in.("a,b",c),qty=not.gt.5')).toMatchObject({ ok: true, value: [{ op: 'in', value: '{"a,b",c}' }, { op: 'gt', value: '5', negate: true }] });
    expect(parseFilter('title=eq."a \\"q\\", b"')).toMatchObject({ ok: true, value: [{ value: 'a "q", b' }] });
    expect(parseFilter('  ')).toEqual({ ok: true, value: [] });
    expect(parseFilter('subject=foo.hey')).toEqual({ ok: false, error: '["foo","hey"]' });
    expect(parseFilter('undefined')).toEqual({ ok: false, error: '["undefined"]' });
    expect(parseFilter('a=eq.1,,b=eq.2')).toMatchObject({ ok: false });
    expect(parseFilter('id=in.1,2')).toMatchObject({ ok: false, error: '`in` filter value must be wrapped by parentheses' });
    expect(parseFilter(`id=in.(${Array.from({ length: 101 }, (_, i) => i).join(',')})`)).toMatchObject({ ok: false });
  });

  it('parses bindings with Realtime\'s defaults and errors', () => {
    expect(parseBinding({ table: 'x' })).toEqual({ ok: true, value: { action: '*', schema: 'public', table: 'x', filters: [], select: null } });
    expect(parseBinding({ schema: 'public' })).toMatchObject({ ok: true, value: { table: '*' } });
    expect(parseBinding({ event: 'insert', schema: 's', table: 't' })).toMatchObject({ ok: true, value: { action: 'INSERT' } });
    expect(parseBinding({ event: 'bogus', schema: 's', table: 't' })).toMatchObject({ ok: true, value: { action: '*' } });
    expect(parseBinding({})).toMatchObject({ ok: false, error: expect.stringMatching(/^No subscription params provided/) });
    expect(parseBinding({ schema: '*', select: ['a'] })).toMatchObject({ ok: false });
  });

  it('evaluates with the column type\'s semantics; NULL never matches', () => {
    const types: Record<string, PgType> = { n: T('int8', 'number'), f: T('float8', 'number'), t: T('text'), b: T('bool', 'bool'), ts: T('timestamptz', 'timestamptz'), u: T('uuid'), j: T('jsonb', 'json') };
    const m = (filter: string, r: Record<string, string | null>): boolean => {
      const p = parseFilter(filter);
      if (!p.ok) throw new Error(p.error);
      return matchesFilters(p.value, row(r), (c) => types[c]);
    };
    expect(m('n=gt.9', { n: '10' })).toBe(true); // numeric, not lexicographic
    expect(m('n=eq.9007199254740993', { n: '9007199254740993' })).toBe(true);
    expect(m('n=eq.9007199254740993', { n: '9007199254740992' })).toBe(false);
    expect(m('f=lt.1e3', { f: '999.5' })).toBe(true);
    expect(m('n=eq.1', { n: null })).toBe(false);
    expect(m('n=neq.1', { n: null })).toBe(false);
    expect(m('n=isdistinct.1', { n: null })).toBe(true);
    expect(m('n=is.null', { n: null })).toBe(true);
    expect(m('b=eq.true', { b: 't' })).toBe(true);
    expect(m('b=is.false', { b: 'f' })).toBe(true);
    expect(m('ts=gt.2024-01-01T00:00:00Z', { ts: '2024-01-01 00:00:00.5+00' })).toBe(true);
    expect(m('ts=lt.2024-01-01T02:00:00+03:00', { ts: '2023-12-31 22:00:00+00' })).toBe(true);
    expect(m('u=eq.ABCDEF00-0000-0000-0000-000000000000', { u: 'abcdef00-0000-0000-0000-000000000000' })).toBe(true);
    expect(m('t=like.a%c', { t: 'abbbc' })).toBe(true);
    expect(m('t=like.a_c', { t: 'abbc' })).toBe(false);
    expect(m('t=ilike.A%', { t: 'abc' })).toBe(true);
    expect(m('t=match.^a.c$', { t: 'abc' })).toBe(true);
    expect(m('t=in.(x,"y,z")', { t: 'y,z' })).toBe(true);
    expect(m('j->>k=eq.v', { j: '{"k": "v"}' })).toBe(true);
    expect(m('missing=eq.1', { n: '1' })).toBe(false);
    expect(m('n=gte.1,n=lte.3', { n: '2' })).toBe(true);
    expect(m('n=gte.1,n=lte.3', { n: '4' })).toBe(false);
  });

  it('parses timestamps to microseconds', () => {
    expect(parseTimestampMicros('1970-01-01 00:00:01.000001+00')).toBe(1_000_001);
    expect(parseTimestampMicros('1970-01-01T01:00:00+01:00')).toBe(0);
    expect(parseTimestampMicros('infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(parseTimestampMicros('nope')).toBeNull();
  });
});

describe('values as to_jsonb renders them', () => {
  it('scalars', () => {
    expect(valueToJson(T('int4', 'number'), '42')).toBe('42');
    expect(valueToJson(T('numeric', 'number'), '12.340')).toBe('12.340');
    expect(valueToJson(T('float8', 'number'), 'NaN')).toBe('"NaN"');
    expect(valueToJson(T('float8', 'number'), 'Infinity')).toBe('"Infinity"');
    expect(valueToJson(T('bool', 'bool'), 'f')).toBe('false');
    expect(valueToJson(T('jsonb', 'json'), '{"a": [1]}')).toBe('{"a": [1]}');
    expect(valueToJson(T('timestamptz', 'timestamptz'), '2024-01-01 12:00:00.5+05:30')).toBe('"2024-01-01T12:00:00.5+05:30"');
    expect(valueToJson(T('timestamptz', 'timestamptz'), '2024-01-01 12:00:00+00')).toBe('"2024-01-01T12:00:00+00:00"');
    expect(valueToJson(T('timestamp', 'timestamp'), '2024-01-01 12:00:00')).toBe('"2024-01-01T12:00:00"');
    expect(valueToJson(T('bytea'), '\\x0102')).toBe('"\\\\x0102"');
    expect(valueToJson(T('text'), null)).toBe('null');
  });

  it('arrays and composites, nested', () => {
    const intArr = T('_int4', 'array', { element: T('int4', 'number') });
    expect(valueToJson(intArr, '{{1,2},{3,NULL}}')).toBe('[[1,2],[3,null]]');
    expect(valueToJson(T('_text', 'array', { element: T('text') }), '{"a b","c\\"d",NULL,"NULL"}')).toBe('["a b","c\\"d",null,"NULL"]');
    expect(parseArrayLiteral('[0:1]={x,y}')).toEqual(['x', 'y']);
    const comp = T('pair', 'composite', { fields: [{ name: 'n', type: T('int4', 'number') }, { name: 's', type: T('text') }, { name: 'z', type: T('text') }] });
    expect(valueToJson(comp, '(1,"a ""b""",)')).toBe('{"n":1,"s":"a \\"b\\"","z":null}');
    expect(parseRecordLiteral('(,"",x)')).toEqual([null, '', 'x']);
  });
});

describe('policy claim analysis', () => {
  const builtin = (n: string): boolean => ['split_part', 'lower', 'now'].includes(n);
  it('finds the claims the project\'s policies read', () => {
    expect(claimPathsOf("((( SELECT auth.jwt() AS jwt) -> 'org_roles'::text) ? (org_id)::text)", builtin)).toEqual(['org_roles']);
    expect(claimPathsOf("((org_id IS NULL) OR ((( SELECT auth.jwt() AS jwt) -> 'org_roles'::text) ? (org_id)::text))", builtin)).toEqual(['org_roles']);
    expect(claimPathsOf('(user_id = auth.uid())', builtin)).toEqual(['sub']);
    expect(claimPathsOf("((auth.jwt() ->> 'email'::text) = lower(owner_email))", builtin)).toEqual(['email']);
    expect(claimPathsOf('true', builtin)).toEqual([]);
    expect(claimPathsOf(null, builtin)).toEqual([]);
  });

  it('falls back to all claims when it cannot be sure', () => {
    expect(claimPathsOf('(owner = my_schema.owner())', builtin)).toBe('all');
    expect(claimPathsOf('(EXISTS ( SELECT 1 FROM memberships m WHERE (m.user_id = auth.uid())))', builtin)).toBe('all');
    expect(claimPathsOf("(current_setting('request.jwt.claims'::text, true) IS NOT NULL)", builtin)).toBe('all');
    expect(claimPathsOf('(auth.jwt() IS NOT NULL)', builtin)).toBe('all');
    expect(claimPathsOf('(is_member(org_id))', builtin)).toBe('all');
    expect(mergeClaimPaths([['a'], 'all'])).toBe('all');
    expect(mergeClaimPaths([['b'], ['a', 'b']])).toEqual(['a', 'b']);
  });

  it('groups subscribers by role and the values of those claims only', () => {
    const a1 = groupKey('authenticated', { sub: '1', exp: 1, org_roles: { x: 'viewer' } }, ['org_roles']);
    const a2 = groupKey('authenticated', { sub: '2', exp: 2, org_roles: { x: 'viewer' } }, ['org_roles']);
    const b = groupKey('authenticated', { sub: '1', org_roles: { y: 'viewer' } }, ['org_roles']);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    expect(groupKey('anon', { org_roles: { x: 'viewer' } }, ['org_roles'])).not.toBe(a1);
    expect(groupKey('authenticated', { sub: '1', a: 1 }, 'all')).not.toBe(groupKey('authenticated', { sub: '2', a: 1 }, 'all'));
  });
});

describe('misc', () => {
  it('binding ids are stable, 27-bit, non-zero, equal for equal bindings', () => {
    const a = bindingId({ event: '*', schema: 'public', table: 't' });
    expect(a).toBe(bindingId({ table: 't', schema: 'public', event: '*' }));
    expect(a).not.toBe(bindingId({ event: 'INSERT', schema: 'public', table: 't' }));
    fc.assert(fc.property(fc.jsonValue(), (v) => { const id = bindingId(v); return id > 0 && id < 2 ** 27; }));
  });

  it('LSNs round-trip', () => {
    expect(lsnToString(lsnFromString('16/B374D848'))).toBe('16/B374D848');
  });

  it('decodes pgoutput relation/insert/update/delete with text values and unchanged TOAST absent', () => {
    const d = new PgOutputDecoder();
    const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
    const i32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
    const i16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
    const col = (key: boolean, name: string, oid: number): Buffer => Buffer.concat([Buffer.from([key ? 1 : 0]), cstr(name), i32(oid), i32(-1)]);
    d.decode(Buffer.concat([Buffer.from('R'), i32(99), cstr('public'), cstr('t'), Buffer.from('d'), i16(2), col(true, 'id', 20), col(false, 'body', 25)]));
    const text = (s: string): Buffer => Buffer.concat([Buffer.from('t'), i32(Buffer.byteLength(s)), Buffer.from(s)]);
    const ins = d.decode(Buffer.concat([Buffer.from('I'), i32(99), Buffer.from('N'), i16(2), text('1'), Buffer.from('n')]));
    expect(ins).toMatchObject({ tag: 'insert', newTuple: new Map([['id', '1'], ['body', null]]) });
    const upd = d.decode(Buffer.concat([Buffer.from('U'), i32(99), Buffer.from('N'), i16(2), text('1'), Buffer.from('u')]));
    expect(upd).toMatchObject({ tag: 'update', oldTuple: null, newTuple: new Map([['id', '1']]) });
    const del = d.decode(Buffer.concat([Buffer.from('D'), i32(99), Buffer.from('K'), i16(2), text('1'), Buffer.from('n')]));
    expect(del).toMatchObject({ tag: 'delete', oldIsKey: true });
  });

  it('limits: defaults ← env ← overrides', () => {
    expect(resolveRealtimeLimits({}, {})).toEqual(DEFAULT_LIMITS);
    expect(resolveRealtimeLimits({}, { HOTWATCH_REALTIME_SUBSCRIBED_DELAY_MS: '2000' }).systemMessageDelayMs).toBe(2000);
    expect(resolveRealtimeLimits({ systemMessageDelayMs: 5 }, { HOTWATCH_REALTIME_SUBSCRIBED_DELAY_MS: '2000' }).systemMessageDelayMs).toBe(5);
    expect(() => resolveRealtimeLimits({}, { HOTWATCH_REALTIME_MAX_FRAME_BYTES: 'x' })).toThrow();
    expect(() => resolveRealtimeLimits({ nope: 1 } as never, {})).toThrow('unknown realtime option');
  });
});
