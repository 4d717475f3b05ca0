/** zod issues → the functions' FieldError list. */
import type { z } from 'zod';
import type { FieldError } from './http.ts';

/** `['events', 3, 'lat']` → `events[3].lat`, prefixed when given. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    // strict objects report all unknown keys in one issue; give each its own path.
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([...issue.path, key], prefix), code: 'unrecognized_key', message: `Unknown field "${key}".` });
      }
      continue;
    }
    out.push({ path: formatPath(issue.path, prefix), code: issue.code, message: issue.message });
  }
  return out;
}
