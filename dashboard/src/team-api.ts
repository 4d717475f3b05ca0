/**
 * The Team page's calls: the member list and invitations are REST reads under RLS
 * (memberships carry email and name; `invitation_list` is readable by admins only);
 * every change goes through the `members` edge function, which checks the admin role
 * and writes the audit log. `accept` joins the orgs the signed-in user was invited to.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import type {
  AcceptResult, InvitationResult, MembersRequest, RemovalResult, RoleChangeResult,
} from '@hotwatch/client';
import { ApiError } from './api.ts';
import { invokeFunction } from './function-call.ts';
import type { Role } from './types.ts';

export interface TeamMember {
  user_id: string;
  role: Role;
  email: string | null;
  display_name: string | null;
}

export interface TeamInvitation {
  id: string;
  email: string;
  role: Role;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  expires_at: string;
  send_count: number;
}

export interface TeamApi {
  members(orgId: string): Promise<TeamMember[]>;
  invitations(orgId: string): Promise<TeamInvitation[]>;
  invite(orgId: string, email: string, role: Role): Promise<InvitationResult>;
  resend(orgId: string, invitationId: string): Promise<InvitationResult>;
  revoke(orgId: string, invitationId: string): Promise<InvitationResult>;
  changeRole(orgId: string, userId: string, role: Role): Promise<RoleChangeResult>;
  remove(orgId: string, userId: string, cutOff: boolean): Promise<RemovalResult>;
  accept(): Promise<AcceptResult>;
}

/** Where Auth's links land: this dashboard (it shows the set-password form for invite and recovery links). */
export function dashboardUrl(): string {
  return `${location.origin}${location.pathname}`;
}

export function createTeamApi(supabase: SupabaseClient): TeamApi {
  const call = <T>(body: MembersRequest): Promise<T> => invokeFunction<T>(supabase, 'members', body);
  return {
    async members(orgId) {
      const { data, error } = await supabase.from('memberships').select('user_id, role, email, display_name').eq('org_id', orgId).order('email');
      if (error) throw new ApiError(error.message, error.code);
      return (data ?? []) as TeamMember[];
    },
    async invitations(orgId) {
      const { data, error } = await supabase.from('invitation_list').select('id, email, role, status, expires_at, send_count')
        .eq('org_id', orgId).in('status', ['pending', 'expired']).order('created_at', { ascending: false });
      if (error) throw new ApiError(error.message, error.code);
      return (data ?? []) as TeamInvitation[];
    },
    invite: (orgId, email, role) => call({ action: 'invite', org_id: orgId, email, role, redirect_to: dashboardUrl() }),
    resend: (orgId, id) => call({ action: 'resend', org_id: orgId, invitation_id: id, redirect_to: dashboardUrl() }),
    revoke: (orgId, id) => call({ action: 'revoke', org_id: orgId, invitation_id: id }),
    changeRole: (orgId, userId, role) => call({ action: 'change_role', org_id: orgId, user_id: userId, role }),
    remove: (orgId, userId, cutOff) => call({ action: 'remove', org_id: orgId, user_id: userId, cut_off: cutOff }),
    accept: () => call({ action: 'accept' }),
  };
}
