import type { EventEmitter } from 'node:events';
import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import { encodeText, pushEnvelope } from '../../../stack/src/realtime/serializer.ts';
import { wsFrame, wsFrameOf } from '../../../stack/src/realtime/ws-frame.ts';

/** ws's frame parser (exported at runtime, not in @types/ws): what realtime-js reads on Node. */
const { Receiver } = ws as unknown as { Receiver: new (o: { isServer: boolean }) => EventEmitter & { write(b: Buffer): void } };

/** What ws's own parser reads from the bytes. */
function parse(bytes: Buffer): Array<{ data: Buffer; binary: boolean }> {
  const out: Array<{ data: Buffer; binary: boolean }> = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on('message', (data: Buffer, binary: boolean) => out.push({ data, binary }));
  receiver.on('error', (e: Error) => { throw e; });
  receiver.write(bytes);
  return out;
}

describe('ws-frame', () => {
  // Each length form of RFC 6455 §5.2 at its edges: 7-bit, 16-bit and 64-bit.
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
    it(`a ${length}-byte text frame parses back as sent`, () => {
      const text = 'é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2);
      const frames = parse(wsFrame(text));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.binary).toBe(false);
      expect(frames[0]!.data.toString('utf8')).toBe(text);
    });
  }

  it('binary frames for Buffers; frames written back to back parse as separate messages', () => {
    const bin = Buffer.from([4, 0, 1, 2, 255]);
    const frames = parse(Buffer.concat([wsFrame(bin), wsFrame('["a"]'), wsFrameOf([Buffer.from('{"a":'), Buffer.from('1}')])]));
    expect(frames.map((f) => [f.binary, f.data.toString('hex')])).toEqual([
      [true, bin.toString('hex')],
      [false, Buffer.from('["a"]').toString('hex')],
      [false, Buffer.from('{"a":1}').toString('hex')],
    ]);
  });

  it('an envelope around a payload is the same text as encodeText, for both vsn', () => {
    const data = '{"schema":"public","table":"t","record":{"a":"\\u0000"}}';
    for (const vsn of ['1.0.0', '2.0.0'] as const) {
      for (const topic of ['realtime:room', 'realtime:odd "quoted" \u0000 topic']) {
        const e = pushEnvelope(vsn, topic, 'postgres_changes', '{"ids":[1,2],"data":', '}');
        const text = Buffer.concat([e.head, Buffer.from(data), e.tail]).toString('utf8');
        expect(text).toBe(encodeText(vsn, null, null, topic, 'postgres_changes', `{"ids":[1,2],"data":${data}}`));
        expect(parse(wsFrameOf([e.head, Buffer.from(data), e.tail]))[0]!.data.toString('utf8')).toBe(text);
      }
    }
  });
});
