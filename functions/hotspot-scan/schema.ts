/** The hotspot-scan request: `{ org_id?, trigger?, wait? }` (contract: ScanRequest). */
import { z } from 'zod';

/** Body size limit: the request is a few ids. */
export const SCAN_MAX_BODY_BYTES = 4096;

export const scanRequestSchema = z.strictObject({
  org_id: z.guid({ message: 'Must be an organisation id (uuid).' }).optional(),
  trigger: z.enum(['http', 'cron']).optional(),
  wait: z.boolean().optional(),
});
