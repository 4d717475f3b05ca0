/**
 * The demo generator's events (dashboard/src/demo-data.ts DEMO_SOURCE, which must
 * equal this — tests/unit/functions/demo-source.test.ts) go only to demo orgs
 * (orgs.is_demo): a real city's data never gets synthetic events, whichever function
 * they come through.
 */
export const DEMO_EVENT_SOURCE = 'hotwatch-demo';

/** Whether a raw (unvalidated) batch carries demo-generator events. */
export function hasDemoEvents(events: ReadonlyArray<unknown>): boolean {
  return events.some((e) => typeof e === 'object' && e !== null && (e as { source?: unknown }).source === DEMO_EVENT_SOURCE);
}
