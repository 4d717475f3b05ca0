/**
 * What each action may do to which playbook (pure). Global playbooks (org_id null)
 * are read-only to orgs: they can only be hidden for an org and unhidden. An org's
 * own playbooks are edited, retired and restored, never hidden. Retire moves an
 * active playbook to retired, restore the reverse.
 */
import type { PlaybookAction } from './validation.ts';

export type PlaybookStatus = 'active' | 'retired';

export interface PlaybookTarget {
  org_id: string | null;
  status: PlaybookStatus;
}

export type Refusal = { code: 'forbidden' | 'conflict'; message: string };

/** The status an action moves a playbook to (retire/restore), else null. */
export const STATUS_AFTER: Readonly<Partial<Record<PlaybookAction, PlaybookStatus>>> = Object.freeze({ retire: 'retired', restore: 'active' });

/** Why `action` may not apply to `p`, or null when it may. */
export function refusal(action: Exclude<PlaybookAction, 'create'>, p: PlaybookTarget): Refusal | null {
  const global = p.org_id === null;
  if (action === 'hide' || action === 'unhide') {
    return global ? null : { code: 'conflict', message: 'Only global playbooks can be hidden; retire your organisation\'s own playbook instead.' };
  }
  if (global) return { code: 'forbidden', message: 'Global playbooks are read-only; hide it for your organisation instead.' };
  if (action === 'retire' && p.status !== 'active') return { code: 'conflict', message: 'The playbook is already retired.' };
  if (action === 'restore' && p.status !== 'retired') return { code: 'conflict', message: 'The playbook is active; only a retired playbook can be restored.' };
  return null;
}
