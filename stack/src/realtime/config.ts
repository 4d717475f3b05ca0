import { DEFAULT_LIMITS, LIMIT_ENV, type RealtimeLimits, type RealtimeOverrides } from './constants.ts';

/** Defaults ← environment (HOTWATCH_REALTIME_*) ← explicit overrides. */
export function resolveRealtimeLimits(overrides: RealtimeOverrides = {}, env: NodeJS.ProcessEnv = process.env): RealtimeLimits {
  const limits: RealtimeLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as Array<keyof RealtimeLimits>) {
    const raw = env[LIMIT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${LIMIT_ENV[key]} must be a non-negative number, got "${raw}"`);
    limits[key] = n;
  }
  for (const [key, value] of Object.entries(overrides) as Array<[keyof RealtimeLimits, number | undefined]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new Error(`unknown realtime option "${key}"`);
    if (!Number.isFinite(value) || value < 0) throw new Error(`realtime.${key} must be a non-negative number`);
    limits[key] = value;
  }
  return limits;
}
