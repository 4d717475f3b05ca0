/**
 * The queue behind `hw.stream()`: pushes never block the feed; a consumer that falls
 * behind by more than `highWaterMark` events gets the queue coalesced to each row's
 * latest event (versions still increase per row; superseded ones are merged away,
 * as after a gap). Status events are kept in order, only the latest of a run.
 */
import type { StreamEvent, StreamName } from './types.ts';

export class EventQueue<S extends StreamName> implements AsyncIterableIterator<StreamEvent<S>> {
  #items: Array<StreamEvent<S>> = [];
  #waiting: ((r: IteratorResult<StreamEvent<S>>) => void) | undefined;
  #done = false;
  readonly #highWaterMark: number;
  readonly #onReturn: () => void;

  constructor(highWaterMark: number, onReturn: () => void) {
    this.#highWaterMark = highWaterMark;
    this.#onReturn = onReturn;
  }

  get length(): number {
    return this.#items.length;
  }

  push(event: StreamEvent<S>): void {
    if (this.#done) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w({ value: event, done: false });
      return;
    }
    this.#items.push(event);
    if (this.#items.length > this.#highWaterMark) this.#items = coalesce(this.#items);
  }

  next(): Promise<IteratorResult<StreamEvent<S>>> {
    const item = this.#items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.#waiting = resolve; });
  }

  return(): Promise<IteratorResult<StreamEvent<S>>> {
    this.end();
    this.#onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Finish: pending and later next() calls resolve done. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#items = [];
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StreamEvent<S>> {
    return this;
  }
}

/** Keep each row's last event (at the position of that last event) and the last status. */
export function coalesce<S extends StreamName>(items: ReadonlyArray<StreamEvent<S>>): Array<StreamEvent<S>> {
  const lastIndex = new Map<string, number>();
  items.forEach((e, i) => lastIndex.set(keyOf(e), i));
  return items.filter((e, i) => lastIndex.get(keyOf(e)) === i);
}

function keyOf(e: StreamEvent<StreamName>): string {
  return e.type === 'status' ? 'status' : `row:${e.type === 'removed' ? e.id : e.row.id}`;
}
