/**
 * Audit of channel changes.
 * TODO: use _shared audit helper once merged (branch `shape` adds public.audit_log and a
 * helper that writes the row in the change's transaction). Until then the change is
 * logged to the function log only — never with the URL or secret.
 */
export interface ChannelAudit {
  action: 'create' | 'update' | 'delete' | 'resend';
  orgId: string;
  actor: string | null;
  target: string;
  fields?: string[];
}

export function auditChannelChange(entry: ChannelAudit): void {
  console.info(JSON.stringify({ audit: 'notification-channels', ...entry }));
}
