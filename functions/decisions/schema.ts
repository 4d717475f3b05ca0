/** The decisions request: one action on one recommendation or alert. */
import { z } from 'zod';

/** Longest decision reason stored. */
export const MAX_REASON_CHARS = 2000;
export const DECISIONS_MAX_BODY_BYTES = 16 * 1024;

const id = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9][0-9]{0,17}$/)], {
  message: 'Must be a positive integer id.',
}).transform((v) => String(v));
const reason = z.string().trim().max(MAX_REASON_CHARS).refine((s) => !s.includes('\u0000'), { message: 'Contains a NUL character.' });

export const decisionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('approve'), recommendation_id: id, reason: reason.optional() }),
  z.strictObject({ action: z.literal('reject'), recommendation_id: id, reason: reason.pipe(z.string().min(1, { message: 'A rejection needs a reason.' })) }),
  z.strictObject({ action: z.literal('acknowledge'), alert_id: id, reason: reason.optional() }),
  z.strictObject({ action: z.literal('resolve'), alert_id: id, reason: reason.optional() }),
], { message: 'action must be one of approve, reject, acknowledge, resolve.' });

/** A validated decision (ids as text); the wire shape is the contract's DecisionRequest. */
export type ParsedDecision = z.infer<typeof decisionSchema>;
