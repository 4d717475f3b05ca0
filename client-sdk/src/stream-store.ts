/**
 * A framework-neutral live view of one stream: the current rows (after filters) and
 * the connection status, as an immutable snapshot that changes identity on every
 * update — the shape `useSyncExternalStore` (React), Svelte stores or signals want.
 * Updates within one task are batched into one notification.
 */
import type { Hotwatch } from './client.ts';
import type { HotwatchError } from './errors.ts';
import type { ConnectionStatus, StreamName, StreamRow, SubscribeOptions } from './types.ts';

export interface StreamSnapshot<S extends StreamName> {
  /** Rows keyed by id, newest id first in `rows`. */
  readonly rows: ReadonlyArray<StreamRow<S>>;
  readonly byId: ReadonlyMap<number, StreamRow<S>>;
  readonly status: ConnectionStatus;
  readonly error: HotwatchError | undefined;
}

export interface StreamStore<S extends StreamName> {
  getSnapshot(): StreamSnapshot<S>;
  /** Listen for new snapshots; the first listener starts the subscription, the last stops it. */
  subscribe(listener: () => void): () => void;
}

export function createStreamStore<S extends StreamName>(hw: Hotwatch, stream: S, opts: SubscribeOptions<S> = {}): StreamStore<S> {
  const byId = new Map<number, StreamRow<S>>();
  let snapshot: StreamSnapshot<S> = { rows: [], byId: new Map(), status: 'connecting', error: undefined };
  let status: ConnectionStatus = 'connecting';
  let error: HotwatchError | undefined;
  const listeners = new Set<() => void>();
  let unsubscribe: (() => Promise<void>) | undefined;
  let scheduled = false;

  const publish = (): void => {
    scheduled = false;
    const map = new Map(byId);
    snapshot = { rows: [...map.values()].sort((a, b) => b.id - a.id), byId: map, status, error };
    for (const l of listeners) l();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(publish);
  };

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      if (!unsubscribe) {
        unsubscribe = hw.subscribe(stream, (e) => {
          if (e.type === 'upsert') byId.set(e.row.id, e.row);
          else if (e.type === 'removed') byId.delete(e.id);
          else {
            status = e.status;
            error = e.error ?? (e.status === 'live' ? undefined : error);
          }
          schedule();
        }, { ...opts, onError: (e) => { error = e; opts.onError?.(e); schedule(); } });
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && unsubscribe) {
          void unsubscribe();
          unsubscribe = undefined;
          byId.clear();
        }
      };
    },
  };
}
