/**
 * The pieces of the kinds' channel-configuration schemas (pure, zod). A URL's scheme
 * and address are checked apart by the channels function (with the kind's `schemes`
 * and DNS), so its field errors keep their codes (`invalid_url`, `private_target`).
 */
import { z } from 'zod';
import { MAX_URL_LENGTH } from './target.ts';

export const urlField = z.string().trim().min(1).max(MAX_URL_LENGTH);

/** A signing secret given by the admin must resist guessing (Stripe's are 32 bytes). */
export const signingSecret = z.string().min(24).max(500);

export const emailAddresses = z.array(z.email().max(254)).min(1).max(50);
