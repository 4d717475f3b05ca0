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
