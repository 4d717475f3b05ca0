import type { HttpMount } from '../../stack/src/gateway/mount.ts';

/**
 * A service's fetch mount called in-process, as the gateway would: `new Request(…)` on the
 * stack's URL, the subpath after the mount's prefix. No socket.
 */
export async function callMount(mounts: readonly HttpMount[] | undefined, path: string, init: RequestInit = {}): Promise<Response> {
  const mount = mounts?.[0];
  if (!mount?.fetch) throw new Error('the service has no fetch mount');
  const url = new URL(`http://127.0.0.1:54321${mount.prefix}${path}`);
  return mount.fetch(new Request(url, init), url.pathname.slice(mount.prefix.length) || '/');
}
