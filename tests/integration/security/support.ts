/**
 * The security suites' cast: two orgs (A, B), each with a viewer, an operator and an
 * admin who sign in through /auth/v1 with supabase-js (so their tokens come from the
 * real access-token hook), plus the anon and service_role clients.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Sql } from 'postgres';
import { addMember, TEST_PASSWORD } from '../../support/fixtures.ts';
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

/** Sign in with email + password through /auth/v1 (supabase-js); the client then carries the session everywhere. */
export async function signIn(email: string): Promise<{ client: SupabaseClient; token: string }> {
  const client = sb();
  const { data, error } = await client.auth.signInWithPassword({ email, password: TEST_PASSWORD });
  if (error || !data.session) throw new Error(`sign-in of ${email} failed: ${error?.message}`);
  return { client, token: data.session.access_token };
}

export async function createTenant(sql: Sql, label: string, opts: { active?: boolean } = {}): Promise<Tenant> {
  const org = await createSecretOrg(sql, label, opts);
  const admin = await addMember(sql, org.id, 'admin');
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
