/**
 * Runtime configuration from the page's own origin: the stack serves
 * /dashboard/config.json (the anon key), and the API is the origin that served the page.
 */
export interface DashboardConfig {
  apiUrl: string;
  anonKey: string;
}

export async function loadConfig(): Promise<DashboardConfig> {
  const res = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  const body = (await res.json()) as Partial<DashboardConfig>;
  if (typeof body.anonKey !== 'string' || !body.anonKey) throw new Error('config.json has no anonKey');
  return { apiUrl: typeof body.apiUrl === 'string' && body.apiUrl ? body.apiUrl : location.origin, anonKey: body.anonKey };
}
