import { describe, expect, it } from 'vitest';
import { Constants } from '../../../functions/_shared/database.types.ts';
import type { MemberRole } from '../../../functions/_shared/vocabulary.ts';
import {
  effectiveStatus, INVITATION_FROM, INVITATION_LINK_SECONDS, invitationAllows, invitationExpiry, normalizeEmail,
} from '../../../functions/members/rules/invitations.ts';
import { accessWindowEnds, cutOffAllowed, JWT_EXPIRY_SECONDS, keepsAnAdmin } from '../../../functions/members/rules/roster.ts';
import { membersSchema } from '../../../functions/members/schema.ts';
import { readSupabaseConfig } from '../../../stack/src/supabase-config.ts';

const STATUSES = Constants.public.Enums.invitation_status;

describe('roster rules: the org keeps an admin', () => {
  // [roles of the org, target's current role, next role (null = removed), allowed]
  const table: Array<[MemberRole[], MemberRole, MemberRole | null, boolean]> = [
    [['admin'], 'admin', null, false],
    [['admin'], 'admin', 'operator', false],
    [['admin'], 'admin', 'viewer', false],
    [['admin'], 'admin', 'admin', true],
    [['admin', 'operator'], 'admin', 'viewer', false],
    [['admin', 'admin'], 'admin', null, true],
    [['admin', 'admin'], 'admin', 'operator', true],
    [['admin', 'operator'], 'operator', null, true],
    [['admin', 'viewer'], 'viewer', 'admin', true],
    [['admin', 'operator', 'viewer'], 'operator', 'viewer', true],
  ];
  for (const [roles, current, next, ok] of table) {
    it(`${roles.join('+')}: ${current} → ${next ?? 'removed'} ${ok ? 'allowed' : '409 last_admin'}`, () => {
      const v = keepsAnAdmin(roles, current, next);
      expect(v.ok).toBe(ok);
      if (!v.ok) expect(v.reason).toBe('last_admin');
    });
  }

  it('the cut-off (a ban) only for a member of no other org', () => {
    expect(cutOffAllowed(0).ok).toBe(true);
    expect(cutOffAllowed(1).ok).toBe(false);
    expect(cutOffAllowed(3)).toMatchObject({ ok: false, message: expect.stringContaining('3 other') });
  });

  it('the access window is jwt_expiry from now, which config.toml sets', () => {
    const now = new Date('2026-12-06T10:00:00Z');
    expect(accessWindowEnds(now).toISOString()).toBe('2026-12-06T11:00:00.000Z');
    const config = readSupabaseConfig() as unknown as { auth: { jwt_expiry: number; email: { otp_expiry: number } } };
    expect(config.auth.jwt_expiry).toBe(JWT_EXPIRY_SECONDS);
    // An invitation expires with its emailed link.
    expect(config.auth.email.otp_expiry).toBe(INVITATION_LINK_SECONDS);
  });
});

describe('invitation rules', () => {
  const now = new Date('2026-12-06T10:00:00Z');
  it('expires with the link', () => {
    expect(invitationExpiry(now).toISOString()).toBe('2026-12-06T11:00:00.000Z');
    expect(effectiveStatus('pending', new Date('2026-12-06T10:00:01Z'), now)).toBe('pending');
    expect(effectiveStatus('pending', now, now)).toBe('expired');
    expect(effectiveStatus('accepted', new Date(0), now)).toBe('accepted');
    expect(effectiveStatus('revoked', new Date(0), now)).toBe('revoked');
  });

  const table: Record<keyof typeof INVITATION_FROM, Record<(typeof STATUSES)[number], boolean>> = {
    resend: { pending: true, expired: true, accepted: false, revoked: false },
    revoke: { pending: true, expired: true, accepted: false, revoked: false },
    accept: { pending: true, expired: false, accepted: false, revoked: false },
  };
  for (const [action, row] of Object.entries(table) as Array<[keyof typeof table, Record<string, boolean>]>) {
    for (const s of STATUSES) {
      it(`${action} an invitation that is ${s}: ${row[s] ? 'allowed' : '409'}`, () => expect(invitationAllows(action, s)).toBe(row[s]));
    }
  }

  it('addresses compare lower-cased', () => expect(normalizeEmail('  Ana@Example.ORG ')).toBe('ana@example.org'));
});

describe('members request schema', () => {
  const org = '11111111-1111-4111-8111-111111111111';
  it('accepts each action and lower-cases the address', () => {
    expect(membersSchema.parse({ action: 'invite', org_id: org, email: 'Ana@Example.org', role: 'viewer' })).toMatchObject({ email: 'ana@example.org' });
    expect(membersSchema.parse({ action: 'remove', org_id: org, user_id: org, cut_off: true }).action).toBe('remove');
    expect(membersSchema.parse({ action: 'accept' }).action).toBe('accept');
  });
  it('refuses unknown actions, roles, fields and non-http redirects', () => {
    expect(membersSchema.safeParse({ action: 'promote', org_id: org }).success).toBe(false);
    expect(membersSchema.safeParse({ action: 'invite', org_id: org, email: 'a@b.co', role: 'owner' }).success).toBe(false);
    expect(membersSchema.safeParse({ action: 'accept', org_id: org }).success).toBe(false);
    expect(membersSchema.safeParse({ action: 'invite', org_id: org, email: 'a@b.co', role: 'viewer', redirect_to: 'javascript:alert(1)' }).success).toBe(false);
  });
});
