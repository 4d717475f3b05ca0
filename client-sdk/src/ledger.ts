/**
 * Merge and de-duplication of row versions (I/O-free).
 *
 * Every stream row carries a per-row `version` that its writer bumps by one. Changes
 * reach the SDK from three places — snapshot/catch-up pages, live changes buffered
 * while catching up, and live changes — possibly overlapping and repeated. The rule
 * that makes the delivered sequence per row strictly increasing and never repeated:
 * a version is delivered only if it is greater than the last one delivered for that
 * id. Within one batch (a page, or the buffer) only each id's latest version is
 * delivered, so versions superseded during a gap are merged into the latest.
 */
export interface Versioned {
  readonly id: number;
  readonly version: number;
}

/** The latest version of each id in a batch, in order of each id's first appearance. */
export function latestPerId<R extends Versioned>(rows: Iterable<R>): R[] {
  const byId = new Map<number, R>();
  for (const r of rows) {
    const held = byId.get(r.id);
    if (!held || r.version > held.version) byId.set(r.id, r);
  }
  return [...byId.values()];
}

/**
 * Which rows of a batch to deliver given what was delivered before (`known(id)` → last
 * delivered version or undefined). Pure: the caller records the result.
 */
export function admit<R extends Versioned>(known: (id: number) => number | undefined, batch: Iterable<R>): R[] {
  const out: R[] = [];
  for (const r of latestPerId(batch)) {
    const v = known(r.id);
    if (v === undefined || r.version > v) out.push(r);
  }
  return out;
}

/**
 * Fill columns a live change left out with the values of the previous version.
 * PostgreSQL logical decoding omits unchanged TOASTed values from UPDATE records when
 * the replica identity is the primary key; such a column kept its previous value.
 */
export function fillUnchanged<R extends object>(previous: R | undefined, next: R): R {
  if (!previous) return next;
  const have = Object.keys(next);
  const had = Object.keys(previous);
  // Fast path for every complete record: as many columns as before means none left out.
  if (have.length >= had.length) return next;
  const filled = { ...next } as Record<string, unknown>;
  for (const key of had) if (!(key in filled)) filled[key] = (previous as Record<string, unknown>)[key];
  return filled as R;
}

/** The last delivered version of every row of one feed. */
export class Ledger<R extends Versioned> {
  readonly #rows = new Map<number, R>();

  get size(): number {
    return this.#rows.size;
  }

  get(id: number): R | undefined {
    return this.#rows.get(id);
  }

  values(): IterableIterator<R> {
    return this.#rows.values();
  }

  /** Record `row` if it is newer than what was delivered; true when it must be delivered. */
  offer(row: R): boolean {
    const held = this.#rows.get(row.id);
    if (held && row.version <= held.version) return false;
    this.#rows.set(row.id, row);
    return true;
  }

  /** Record a batch; returns the rows to deliver (latest per id, newer than delivered). */
  merge(batch: Iterable<R>): R[] {
    const out = admit((id) => this.#rows.get(id)?.version, batch);
    for (const r of out) this.#rows.set(r.id, r);
    return out;
  }
}
