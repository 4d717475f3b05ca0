/**
 * The contract's request types are what the functions' zod schemas accept: a field
 * added to one and not the other fails type-checking (`npx tsc`) and this test.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { DecisionRequest, IngestEvent, IngestRequest } from '../../../functions/_shared/contract.ts';
import { decisionSchema } from '../../../functions/decisions/schema.ts';
import { envelopeSchema, type eventSchema } from '../../../functions/ingest-events/schema.ts';
import { scanRequestSchema } from '../../../functions/hotspot-scan/schema.ts';
import type { PlaybookRequest, ScanRequest } from '../../../functions/_shared/contract.ts';
import { playbookRequestSchema } from '../../../functions/playbooks/rules/validation.ts';

describe('contract ⇄ request schemas', () => {
  it('decisions', () => {
    expectTypeOf<z.input<typeof decisionSchema>>().toEqualTypeOf<DecisionRequest>();
  });
  it('ingest-events (envelope and event)', () => {
    expectTypeOf<Omit<z.input<typeof envelopeSchema>, 'events'>>().toEqualTypeOf<Omit<IngestRequest, 'events'>>();
    expectTypeOf<z.input<ReturnType<typeof eventSchema>>>().toEqualTypeOf<IngestEvent>();
  });
  it('hotspot-scan', () => {
    expectTypeOf<z.input<typeof scanRequestSchema>>().toEqualTypeOf<ScanRequest>();
  });
  it('playbooks', () => {
    expectTypeOf<z.input<typeof playbookRequestSchema>>().toEqualTypeOf<PlaybookRequest>();
  });
});
