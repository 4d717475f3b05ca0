/**
 * The security suites' cast: two orgs (A, B), each with a viewer, an operator and an
 * admin who sign in through /auth/v1 with supabase-js (so their tokens come from the
 * real access-token hook), plus the anon and service_role clients.
 */
import { randomUUID } from 'node:crypto';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { TEST_PASSWORD } from '../../support/fixtures.ts';
import { createSecretOrg, sb, stackInfo, type SecretOrg } from '../../support/hardening.ts';

export type MemberRole = 'viewer' | 'operator' | 'admin';
export const MEMBER_ROLES: MemberRole[] = ['viewer', 'operator', 'admin'];

export interface Member {
  role: MemberRole;
  userId: string;
  email: string;
  client: SupabaseClient;
  token: string;
}

export interface Tenant extends SecretOrg {
  members: Record<MemberRole, Member>;
}

/** An admin user for the org (fixtures make an operator and a viewer). */
async function addAdmin(sql: Sql, orgId: string): Promise<{ id: string; email: string }> {
  const id = randomUUID();
  const email = `admin-${id.slice(0, 8)}@test.local`;
  await sql.begin(async (tx) => {
    await tx`insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at)
             values (${id}, 'authenticated', 'authenticated', ${email}, extensions.crypt(${TEST_PASSWORD}, extensions.gen_salt('bf', 4)), now())`;
    await tx`insert into public.memberships (org_id, user_id, role) values (${orgId}, ${id}, 'admin')`;
  });
  return { id, email };
}

/** Sign in with email + password through /auth/v1 (supabase-js); the client then carries the session everywhere. */
export async function signIn(email: string): Promise<{ client: SupabaseClient; token: string }> {
  const client = sb();
  const { data, error } = await client.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error || !data.session) throw new Error(`sign-in of ${email} failed: ${error?.message}`);
  return { client, token: data.session.access_token };
}

export async function createTenant(sql: Sql, label: string, opts: { active?: boolean } = {}): Promise<Tenant> {
  const org = await createSecretOrg(sql, label, opts);
  const admin = await addAdmin(sql, org.id);
  const people: Record<MemberRole, { id: string; email: string }> = { viewer: org.viewer, operator: org.operator, admin };
  const members = {} as Record<MemberRole, Member>;
  for (const role of MEMBER_ROLES) {
    const { client, token } = await signIn(people[role].email);
    members[role] = { role, userId: people[role].id, email: people[role].email, client, token };
  }
  return { ...org, members };
}

export const anonClient = (): SupabaseClient => sb();
export const serviceClient = (): SupabaseClient => sb(undefined, { key: stackInfo().serviceRoleKey });
