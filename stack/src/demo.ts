/** Demo logins created by supabase/seed/demo.sql (local use only). */
export const DEMO_PASSWORD = 'hotwatch-demo';

export const DEMO_ORGS = {
  northside: '11111111-1111-4111-8111-111111111111',
  harbor: '22222222-2222-4222-8222-222222222222',
} as const;

export const DEMO_LOGINS = [
  { email: 'admin@northside.demo', role: 'admin', org: 'northside' },
  { email: 'operator@northside.demo', role: 'operator', org: 'northside' },
  { email: 'viewer@northside.demo', role: 'viewer', org: 'northside' },
  { email: 'operator@harbor.demo', role: 'operator', org: 'harbor' },
  { email: 'viewer@harbor.demo', role: 'viewer', org: 'harbor' },
] as const;
