/**
 * Optional React binding (`@hotwatch/client/react`). React is a peer dependency of
 * this subpath only; the main entry point never imports it.
 *
 * @example
 * const { rows, status } = useHotwatchStream(hw, 'alerts', { orgId, status: ['firing'] });
 */
import { useMemo, useSyncExternalStore } from 'react';
import type { Hotwatch } from './client.ts';
import { createStreamStore, type StreamSnapshot } from './stream-store.ts';
import type { StreamName, SubscribeOptions } from './types.ts';

export type { StreamSnapshot } from './stream-store.ts';

/**
 * Live rows and status of one stream. The subscription follows the component's
 * lifetime and is re-created when `stream` or a filter value changes.
 */
export function useHotwatchStream<S extends StreamName>(hw: Hotwatch, stream: S, opts: SubscribeOptions<S> = {}): StreamSnapshot<S> {
  const key = JSON.stringify([stream, opts.orgId, opts.category, opts.status, opts.severity]);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the filter values, not the object identity
  const store = useMemo(() => createStreamStore(hw, stream, opts), [hw, key]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
