/**
 * pgoutput (protocol 1) decoder that keeps column values as PostgreSQL text, so
 * Realtime can render them exactly as `to_jsonb(value::type)` would. Message layouts:
 * https://www.postgresql.org/docs/17/protocol-logicalrep-message-formats.html
 */

/** Microseconds between 1970-01-01 and 2000-01-01 (PostgreSQL's epoch). */
export const PG_EPOCH_MICROS = 946_684_800_000_000n;

export interface RelationColumn {
  name: string;
  typeOid: number;
  isKey: boolean;
}

export interface Relation {
  oid: number;
  schema: string;
  name: string;
  /** d (default), n (nothing), f (full), i (index). */
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** Column → text value; null is SQL NULL. Unchanged TOAST values are absent. */
export type Tuple = Map<string, string | null>;

export type PgOutputMessage =
  | { tag: 'begin'; commitLsn: bigint; commitTimeMicros: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTimeMicros: bigint }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relation: Relation; newTuple: Tuple; bytes: number }
  | { tag: 'update'; relation: Relation; newTuple: Tuple; oldTuple: Tuple | null; oldIsKey: boolean; bytes: number }
  | { tag: 'delete'; relation: Relation; oldTuple: Tuple; oldIsKey: boolean; bytes: number }
  | { tag: 'truncate'; relations: Relation[] }
  /** pg_logical_emit_message (START_REPLICATION option `messages`); transactional ones come inside their transaction. */
  | { tag: 'message'; transactional: boolean; prefix: string; content: Buffer }
  | { tag: 'other' };

class Reader {
  off = 0;
  constructor(readonly buf: Buffer) {}
  u8(): number { return this.buf.readUInt8(this.off++); }
  i16(): number { const v = this.buf.readInt16BE(this.off); this.off += 2; return v; }
  i32(): number { const v = this.buf.readInt32BE(this.off); this.off += 4; return v; }
  u32(): number { const v = this.buf.readUInt32BE(this.off); this.off += 4; return v; }
  i64(): bigint { const v = this.buf.readBigInt64BE(this.off); this.off += 8; return v; }
  u64(): bigint { const v = this.buf.readBigUInt64BE(this.off); this.off += 8; return v; }
  cstr(): string {
    const end = this.buf.indexOf(0, this.off);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const s = this.buf.toString('utf8', this.off, end);
    this.off = end + 1;
    return s;
  }
}

export class PgOutputDecoder {
  private readonly relations = new Map<number, Relation>();

  relation(oid: number): Relation | undefined {
    return this.relations.get(oid);
  }

  decode(buf: Buffer): PgOutputMessage {
    const r = new Reader(buf);
    const tag = String.fromCharCode(r.u8());
    switch (tag) {
      case 'B': {
        const commitLsn = r.u64();
        const commitTimeMicros = r.i64() + PG_EPOCH_MICROS;
        return { tag: 'begin', commitLsn, commitTimeMicros, xid: r.u32() };
      }
      case 'C': {
        r.u8();
        const commitLsn = r.u64();
        const endLsn = r.u64();
        return { tag: 'commit', commitLsn, endLsn, commitTimeMicros: r.i64() + PG_EPOCH_MICROS };
      }
      case 'R': {
        const oid = r.u32();
        const schema = r.cstr();
        const name = r.cstr();
        const replicaIdentity = String.fromCharCode(r.u8());
        const n = r.i16();
        const columns: RelationColumn[] = [];
        for (let i = 0; i < n; i++) {
          const flags = r.u8();
          const colName = r.cstr();
          const typeOid = r.u32();
          r.i32(); // typmod
          columns.push({ name: colName, typeOid, isKey: (flags & 1) === 1 });
        }
        const relation: Relation = { oid, schema, name, replicaIdentity, columns };
        this.relations.set(oid, relation);
        return { tag: 'relation', relation };
      }
      case 'I': {
        const relation = this.rel(r.u32());
        r.u8(); // 'N'
        const [newTuple, bytes] = this.tuple(r, relation);
        return { tag: 'insert', relation, newTuple, bytes };
      }
      case 'U': {
        const relation = this.rel(r.u32());
        let kind = String.fromCharCode(r.u8());
        let oldTuple: Tuple | null = null;
        let oldIsKey = false;
        let bytes = 0;
        if (kind === 'K' || kind === 'O') {
          const [t, b] = this.tuple(r, relation);
          oldTuple = t; oldIsKey = kind === 'K'; bytes += b;
          kind = String.fromCharCode(r.u8());
        }
        if (kind !== 'N') throw new Error(`pgoutput: unexpected update tuple kind ${kind}`);
        const [newTuple, b2] = this.tuple(r, relation);
        return { tag: 'update', relation, newTuple, oldTuple, oldIsKey, bytes: bytes + b2 };
      }
      case 'D': {
        const relation = this.rel(r.u32());
        const kind = String.fromCharCode(r.u8());
        const [oldTuple, bytes] = this.tuple(r, relation);
        return { tag: 'delete', relation, oldTuple, oldIsKey: kind === 'K', bytes };
      }
      case 'T': {
        const n = r.i32();
        r.u8();
        const relations: Relation[] = [];
        for (let i = 0; i < n; i++) {
          const rel = this.relations.get(r.u32());
          if (rel) relations.push(rel);
        }
        return { tag: 'truncate', relations };
      }
      case 'M': {
        const transactional = (r.u8() & 1) === 1;
        r.u64(); // the message's LSN
        const prefix = r.cstr();
        const len = r.i32();
        const content = r.buf.subarray(r.off, r.off + len);
        r.off += len;
        return { tag: 'message', transactional, prefix, content };
      }
      default:
        return { tag: 'other' };
    }
  }

  private rel(oid: number): Relation {
    const rel = this.relations.get(oid);
    if (!rel) throw new Error(`pgoutput: change for unknown relation ${oid}`);
    return rel;
  }

  private tuple(r: Reader, relation: Relation): [Tuple, number] {
    const n = r.i16();
    const t: Tuple = new Map();
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const col = relation.columns[i];
      const kind = String.fromCharCode(r.u8());
      if (kind === 'n') {
        if (col) t.set(col.name, null);
      } else if (kind === 'u') {
        // unchanged TOAST value: absent
      } else if (kind === 't' || kind === 'b') {
        const len = r.i32();
        const text = r.buf.toString(kind === 't' ? 'utf8' : 'hex', r.off, r.off + len);
        r.off += len;
        bytes += len;
        if (col) t.set(col.name, text);
      } else {
        throw new Error(`pgoutput: unknown tuple kind ${kind}`);
      }
    }
    return [t, bytes];
  }
}

/** "16/B374D848" ⇄ bigint */
export function lsnToString(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function lsnFromString(s: string): bigint {
  const [hi = '0', lo = '0'] = s.split('/');
  return (BigInt('0x' + hi) << 32n) | BigInt('0x' + lo);
}
