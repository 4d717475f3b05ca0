/** The `webhook` kind: Hotwatch's own JSON body, signed (pure). */
import { z } from 'zod';
import { signingSecret, urlField } from './config.ts';
import type { HttpKind } from './kinds.ts';
import type { Notification } from './types.ts';

/** The webhook body (docs/functions.md "Webhook format"); `type` names the event. */
export function webhookBody(n: Notification): Record<string, unknown> {
  const a = n.alert;
  return {
    id: n.idempotencyKey,
    type: `alert.${n.event}`,
    event: n.event,
    occurred_at: n.occurredAt,
    org: n.org,
    alert: {
      id: Number(a.id),
      title: a.title,
      text: a.description,
      severity: a.severity,
      category: a.category,
      state: a.state,
      counts: { observed: a.notified_observed, cells: a.notified_cells, notifications: a.notify_count, detections: a.consecutive_detections },
      times: {
        created_at: a.created_at,
        updated_at: a.updated_at,
        last_notified_at: a.last_notified_at,
        acknowledged_at: a.acknowledged_at,
        resolved_at: a.resolved_at,
      },
      hotspot_id: Number(a.hotspot_id),
      place: n.place,
      url: n.alertUrl,
    },
  };
}

export const webhookKind: HttpKind = {
  kind: 'webhook',
  transport: 'http',
  config: z.strictObject({ url: urlField, secret: signingSecret.optional() }),
  signed: true,
  generatesSecret: true,
  format: (n) => ({ body: JSON.stringify(webhookBody(n)), headers: { 'Content-Type': 'application/json' } }),
};
