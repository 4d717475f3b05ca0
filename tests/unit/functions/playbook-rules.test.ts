import { describe, expect, it } from 'vitest';
import { refusal } from '../../../functions/playbooks/rules/permissions.ts';
import { playbookRequestSchema, slugFromTitle } from '../../../functions/playbooks/rules/validation.ts';
import { fieldErrors } from '../../../functions/_shared/validation.ts';

const ORG = '6f1c3a52-8a51-4d61-9d0b-1f2a3b4c5d6e';
const good = { title: 'Close the underpass', category: 'flood', severities: ['high'], summary: 's', body: 'b', steps: ['one'] };

describe('playbook request schema', () => {
  it('accepts each action; tags default to none and are lower-cased', () => {
    expect(playbookRequestSchema.parse({ action: 'create', org_id: ORG, playbook: good })).toMatchObject({ playbook: { tags: [] } });
    expect(playbookRequestSchema.parse({ action: 'update', id: ORG, playbook: { tags: [' Sandbags '] } })).toEqual({ action: 'update', id: ORG, playbook: { tags: ['sandbags'] } });
    for (const action of ['retire', 'restore']) expect(playbookRequestSchema.safeParse({ action, id: ORG }).success).toBe(true);
    for (const action of ['hide', 'unhide']) expect(playbookRequestSchema.safeParse({ action, org_id: ORG, playbook_id: ORG }).success).toBe(true);
  });

  it('answers one field error per bad field, with its path', () => {
    const r = playbookRequestSchema.safeParse({
      action: 'create', org_id: 'nope',
      playbook: { ...good, severities: ['low', 'low'], tags: ['Bad Tag'], steps: Array(51).fill('x'), summary: 'a\u0000b' },
    });
    expect(r.success).toBe(false);
    expect(fieldErrors(r.error!).map((e) => e.path).sort()).toEqual(['org_id', 'playbook.severities', 'playbook.steps', 'playbook.summary', 'playbook.tags[0]']);
  });

  it('an update must change something; retire takes no fields', () => {
    expect(playbookRequestSchema.safeParse({ action: 'update', id: ORG, playbook: {} }).success).toBe(false);
    expect(playbookRequestSchema.safeParse({ action: 'retire', id: ORG, playbook: good }).success).toBe(false);
  });
});

describe('slugFromTitle', () => {
  it('makes a slug the table accepts from any title', () => {
    expect(slugFromTitle('Flooded underpass (north) — café')).toBe('flooded-underpass-north-cafe');
    expect(slugFromTitle('!!!')).toBe('playbook');
    expect(slugFromTitle('A')).toBe('playbook-a');
    expect(slugFromTitle('x'.repeat(300))).toHaveLength(80);
  });
});

describe('which action applies to which playbook', () => {
  const own = { org_id: ORG, status: 'active' as const };
  const global = { org_id: null, status: 'active' as const };
  it('global playbooks are only hidden and unhidden; an org\'s own are never hidden', () => {
    expect(refusal('update', global)?.code).toBe('forbidden');
    expect(refusal('retire', global)?.code).toBe('forbidden');
    expect(refusal('hide', global)).toBeNull();
    expect(refusal('unhide', global)).toBeNull();
    expect(refusal('hide', own)?.code).toBe('conflict');
    expect(refusal('update', own)).toBeNull();
  });
  it('retire from active, restore from retired', () => {
    expect(refusal('retire', own)).toBeNull();
    expect(refusal('restore', own)?.code).toBe('conflict');
    expect(refusal('retire', { ...own, status: 'retired' })?.code).toBe('conflict');
    expect(refusal('restore', { ...own, status: 'retired' })).toBeNull();
    expect(refusal('update', { ...own, status: 'retired' })).toBeNull();
  });
});
