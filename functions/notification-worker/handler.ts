/**
 * notification-worker: delivers the notification outbox (docs/functions.md
 * "Notifications"). Called by the outbox trigger's wake-up POST and by the
 * every-minute schedule (pg_net, with the service-role JWT from Vault), so only the
 * service role may call it.
 *
 * It answers 202 at once and drains in the background (EdgeRuntime.waitUntil on the
 * platform): pg_net sends its queue in batches and waits for a whole batch, so a
 * wake-up that held its request open while a receiver timed out would delay every
 * other pg_net request (the scan schedule's too). One drain runs per worker instance;
 * a wake-up during a drain makes it go round once more. `{"wait": true}` drains in the
 * request and answers with the counts (operators, benchmarks).
 */
import { callerFromRequest } from '../_shared/auth-claims.ts';
import { HttpError, jsonResponse, readJsonBody, requireMethod, validationError, withErrors, type ErrorReporter, type Handler } from '../_shared/http.ts';
import { z } from 'zod';
import { fieldErrors } from '../_shared/validation.ts';
import { drain, type DrainDeps, type DrainStats } from './drain.ts';

export interface WorkerDeps extends DrainDeps {
  /** Keep a promise running after the response (EdgeRuntime.waitUntil). */
  background: (p: Promise<unknown>) => void;
  report?: ErrorReporter;
}

const bodySchema = z.strictObject({ wait: z.boolean().optional() });

export function createWorkerHandler(deps: WorkerDeps): Handler {
  let running: Promise<DrainStats> | null = null;
  let again = false;

  function kick(): Promise<DrainStats> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let stats: DrainStats;
      do {
        again = false;
        stats = await drain(deps);
      } while (again);
      return stats;
    })().finally(() => { running = null; });
    return running;
  }

  return withErrors(async (req) => {
    requireMethod(req, 'POST');
    const caller = callerFromRequest(req);
    if (caller.kind === 'anon') throw new HttpError('auth_required', 'The worker runs with the service role key.');
    if (caller.kind !== 'service') throw new HttpError('forbidden', 'Only the service role (the schedule and the outbox trigger) runs the worker.');
    // The trigger's wake-up and the schedule send `{}`.
    const parsed = bodySchema.safeParse(await readJsonBody(req, 1024));
    if (!parsed.success) throw validationError(fieldErrors(parsed.error));
    if (parsed.data.wait) return jsonResponse(await kick());
    const run = kick().catch((e: unknown) => deps.report?.(e, req));
    deps.background(run);
    return jsonResponse({ accepted: true }, 202);
  }, deps.report);
}
