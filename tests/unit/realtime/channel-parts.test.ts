import { describe, expect, it } from 'vitest';
import { JoinError, joinConfig, replayParams } from '../../../stack/src/realtime/channel-join.ts';
import { PresenceCalls, presenceCall } from '../../../stack/src/realtime/channel-presence.ts';
import { lostRead, usableToken } from '../../../stack/src/realtime/channel-token.ts';
import { dbBroadcast } from '../../../stack/src/realtime/db-broadcast.ts';

describe('channel join payload', () => {
  it('reads config flags (FlexibleBoolean), bindings and the token; an sb_ key falls back to the socket token', () => {
    const c = joinConfig({
      config: { private: 'true', broadcast: { self: true, ack: 1, replication_ready: true }, presence: { key: 'me', enabled: true }, postgres_changes: [null, { event: '*', schema: 'public' }] },
      access_token: 'sb_publishable_x',
    }, 'conn-token');
    expect(c).toMatchObject({ isPrivate: true, selfBroadcast: true, ackBroadcast: true, presenceKey: 'me', presenceEnabled: true, accessToken: 'conn-token', replicationReady: true });
    expect(c.pgBindings).toEqual([{ event: '*', schema: 'public' }]);
    expect(joinConfig({ user_token: 'jwt' }, 'conn').accessToken).toBe('jwt');
    expect(joinConfig({}, 'conn').presenceKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('checks replay parameters as Realtime does', () => {
    expect(replayParams(undefined, true, true, 't', 25)).toBeUndefined();
    expect(replayParams({ since: 5 }, true, true, 't', 25)).toEqual({ since: 5, limit: 25 });
    const code = (f: () => unknown): string | undefined => { try { f(); } catch (e) { return e instanceof JoinError ? `${e.code}: ${e.message}` : 'other'; } return undefined; };
    expect(code(() => replayParams({}, false, true, 't', 25))).toBe('UnableToReplayMessages: Replay is not allowed for public channels');
    expect(code(() => replayParams({}, true, false, 't', 25))).toBe('Unauthorized: You do not have permissions to read from this Channel topic: t');
    expect(code(() => replayParams({ limit: 26 }, true, true, 't', 25))).toBe('UnableToReplayMessages: Replay params are not valid');
    expect(code(() => replayParams({ since: -1 }, true, true, 't', 25))).toBe('UnableToReplayMessages: Replay params are not valid');
  });
});

describe('channel presence and token rules', () => {
  it('reads track/untrack and refuses the rest', () => {
    expect(presenceCall({ event: 'UNTRACK' })).toEqual({ kind: 'untrack' });
    expect(presenceCall({ event: 'track' })).toEqual({ kind: 'track', meta: {} });
    expect(presenceCall({ event: 'track', payload: { a: 1 } })).toEqual({ kind: 'track', meta: { a: 1 } });
    expect(presenceCall({ event: 'track', payload: [1] })).toEqual({ kind: 'error', reason: 'Presence track payload must be a map' });
    expect(presenceCall({ event: 'jump' })).toEqual({ kind: 'error', reason: 'UnknownPresenceEvent: jump' });
  });

  it('allows at most max calls per sliding window, refused calls not counted', () => {
    const w = new PresenceCalls();
    expect([0, 10, 20].map((t) => w.allow(t, 100, 2))).toEqual([true, true, false]);
    expect(w.allow(100, 100, 2)).toBe(true); // the call at 0 left the window
    expect(w.allow(105, 100, 2)).toBe(false);
  });

  it('counts user tokens only and notices a lost read', () => {
    expect([usableToken('jwt'), usableToken(''), usableToken('sb_secret_x'), usableToken(3)]).toEqual([true, false, false, false]);
    expect(lostRead({ broadcastRead: true }, { broadcastRead: false })).toBe(true);
    expect(lostRead({ broadcastRead: false, presenceRead: true }, { broadcastRead: true, presenceRead: true })).toBe(false);
  });
});

describe('Broadcast from Database rows', () => {
  const row = (o: Record<string, string | null>): Map<string, string | null> =>
    new Map(Object.entries({ topic: 'room', event: 'e', extension: 'broadcast', id: 'id1', private: 't', payload: '{"a":1}', ...o }));

  it('turns a realtime.messages insert into its broadcast (meta {id}), JSON or binary', () => {
    expect(dbBroadcast(row({}))).toEqual({ key: expect.any(String), msg: { event: 'e', meta: '{"id":"id1"}', userBroadcast: true, dbId: 'id1', json: '{"a":1}' } });
    expect(dbBroadcast(row({ payload: null, binary_payload: '\\x0102' }))?.msg.binary).toEqual(Buffer.from([1, 2]));
    expect(dbBroadcast(row({ payload: null }))?.msg.json).toBe('null');
    expect(dbBroadcast(row({}))?.key).not.toBe(dbBroadcast(row({ private: 'f' }))?.key);
  });

  it('skips rows that are not broadcasts or ask not to be sent', () => {
    expect(dbBroadcast(row({ extension: 'presence' }))).toBeUndefined();
    expect(dbBroadcast(row({ skip_broadcast: 't' }))).toBeUndefined();
    expect(dbBroadcast(row({ topic: null }))).toBeUndefined();
  });
});
