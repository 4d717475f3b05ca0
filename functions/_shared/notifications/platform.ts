/**
 * The two functions' shared platform pieces: DNS (A and AAAA; [] when the name does not
 * resolve) and the dashboard link of an alert.
 */
export type ResolveDns = (host: string, type: 'A' | 'AAAA') => Promise<string[]>;

/** A host's A and AAAA addresses through `resolveDns` (index.ts passes Deno.resolveDns). */
export function hostResolver(resolveDns: ResolveDns): (host: string) => Promise<string[]> {
  return async (host) => {
    const found = await Promise.allSettled([resolveDns(host, 'A'), resolveDns(host, 'AAAA')]);
    return found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  };
}

/** `<dashboard>#alert-<id>`; the dashboard defaults to the project's /dashboard/ (the stack serves it there). */
export function alertLinker(dashboardUrl: string | undefined, projectUrl: string | undefined): (alertId: string) => string {
  const base = dashboardUrl ?? `${projectUrl ?? ''}/dashboard/`;
  return (id) => `${base}#alert-${id}`;
}
