import { describe, expect, it } from 'vitest';
import { PgOutputDecoder } from '../../../stack/src/realtime/pgoutput.ts';
import { parseRlsFacts, parseRlsFactsMessage, RLS_FACTS_PREFIX, RlsFactsHistory, type RlsFacts } from '../../../stack/src/realtime/rls-facts.ts';

const facts = (rls: boolean, names: string[] = []): RlsFacts => ({
  rls, force: false, owner: 10, policies: names.map((name) => ({ name, permissive: true, roles: [0], qual: 'true', tree: '{CONST}' })),
});

describe('RLS facts by WAL position', () => {
  it('a change is judged by the facts in effect at its commit; the first known facts cover earlier ones', () => {
    const h = new RlsFactsHistory();
    const loaded = facts(true, ['own']);
    h.seed(1, loaded);
    const dropped = facts(true);
    const recreated = facts(true, ['org']);
    h.note(1, 300n, recreated); // noted out of order: sorted by position
    h.note(1, 200n, dropped);
    expect(h.at(1, 100n)).toBe(loaded);
    expect(h.at(1, 199n)).toBe(loaded);
    expect(h.at(1, 200n)).toBe(dropped);
    expect(h.at(1, 299n)).toBe(dropped);
    expect(h.at(1, 10_000n)).toBe(recreated);
    h.seed(1, facts(false)); // a later catalog load reads "now": it must not rewrite history
    expect(h.at(1, 100n)).toBe(loaded);
    const again = facts(true);
    h.note(1, 200n, again); // re-sent after a reconnect: same position, replaced
    expect(h.at(1, 250n)).toBe(again);
    expect(h.at(2, 1n)).toBeUndefined();
  });

  it('parses the event trigger\'s message and refuses other shapes', () => {
    const json = { oid: 42, rls: true, force: false, owner: 10, policies: [{ name: 'p', permissive: false, roles: [0, 16384], qual: '(auth.uid() = user_id)', tree: '{OPEXPR}' }] };
    expect(parseRlsFactsMessage(Buffer.from(JSON.stringify(json)))).toEqual({ oid: 42, facts: { rls: true, force: false, owner: 10, policies: json.policies } });
    expect(parseRlsFacts({ ...json, policies: [{ name: 'p' }] })).toBeUndefined();
    expect(parseRlsFacts({ ...json, rls: 'yes' })).toBeUndefined();
    expect(parseRlsFactsMessage(Buffer.from('{'))).toBeUndefined();
  });

  it('pgoutput decodes a transactional logical message', () => {
    const content = Buffer.from('{"oid":1}');
    const len = Buffer.alloc(4); len.writeInt32BE(content.length);
    const msg = Buffer.concat([Buffer.from('M'), Buffer.from([1]), Buffer.alloc(8), Buffer.from(RLS_FACTS_PREFIX), Buffer.from([0]), len, content]);
    expect(new PgOutputDecoder().decode(msg)).toEqual({ tag: 'message', transactional: true, prefix: RLS_FACTS_PREFIX, content });
  });
});
