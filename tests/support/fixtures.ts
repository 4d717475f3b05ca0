import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';

/** A fresh org with an operator and a viewer (rows in auth.users + memberships). */
export interface TestOrg {
  id: string;
  slug: string;
  operator: { id: string; email: string };
  viewer: { id: string; email: string };
  /** Claims as the access token hook would issue them for each user. */
  operatorClaims: Record<string, unknown>;
  viewerClaims: Record<string, unknown>;
}

export const TEST_PASSWORD = 'test-password-123';

export async function createTestOrg(sql: Sql, label = 'org'): Promise<TestOrg> {
  const id = randomUUID();
  const slug = `${label}-${id.slice(0, 8)}`;
  const operator = { id: randomUUID(), email: `operator-${id.slice(0, 8)}@test.local` };
  const viewer = { id: randomUUID(), email: `viewer-${id.slice(0, 8)}@test.local` };
  await sql.begin(async (tx) => {
    await tx`insert into public.orgs (id, slug, name) values (${id}, ${slug}, ${'Test ' + slug})`;
    for (const u of [operator, viewer]) {
      await tx`insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
               values (${u.id}, 'authenticated', 'authenticated', ${u.email},
                       extensions.crypt(${TEST_PASSWORD}, extensions.gen_salt('bf', 4)), now())`;
    }
    await tx`insert into public.memberships (org_id, user_id, role) values
             (${id}, ${operator.id}, 'operator'), (${id}, ${viewer.id}, 'viewer')`;
  });
  const claims = (userId: string, role: string): Record<string, unknown> => ({
    sub: userId, role: 'authenticated', aud: 'authenticated', org_roles: { [id]: role },
  });
  return { id, slug, operator, viewer, operatorClaims: claims(operator.id, 'operator'), viewerClaims: claims(viewer.id, 'viewer') };
}

/** One more signed-up member of an org with `role` (password TEST_PASSWORD). */
export async function addMember(sql: Sql, orgId: string, role: 'viewer' | 'operator' | 'admin'): Promise<{ id: string; email: string }> {
  const id = randomUUID();
  const email = `${role}-${id.slice(0, 8)}@test.local`;
  await sql.begin(async (tx) => {
    await tx`insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
             values (${id}, 'authenticated', 'authenticated', ${email}, extensions.crypt(${TEST_PASSWORD}, extensions.gen_salt('bf', 4)), now())`;
    await tx`insert into public.memberships (org_id, user_id, role) values (${orgId}, ${id}, ${role})`;
  });
  return { id, email };
}

/**
 * Keep the shared stack's scan schedule away from an org for `minutes`, for tests that compare
 * the org's rows before and after: the dispatcher passes over an org whose claim has not expired
 * (`claim_due_scan`), so the hold is such a claim. A scheduled scan already running on the org is
 * waited for (its claim released or expired) first. Manual and HTTP scans are not affected.
 */
export async function holdScanSchedule(sql: Sql, orgId: string, minutes = 30): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const taken = await sql`
      insert into public.org_scan_state as s (org_id, claimed_until) values (${orgId}, now() + make_interval(mins => ${minutes}))
      on conflict (org_id) do update set claimed_until = excluded.claimed_until
       where s.claimed_until is null or s.claimed_until < now()
      returning 1`;
    if (taken.length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`a scheduled scan kept org ${orgId} claimed for two minutes`);
}
