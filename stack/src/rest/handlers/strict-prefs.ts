import { invalidPreferences } from '../errors.ts';
import type { ApiRequest } from '../request.ts';

/** handling=strict with unrecognised preferences: PGRST122. */
export function checkStrictPrefs(req: ApiRequest): void {
  if (req.prefs.handling === 'strict' && req.prefs.invalid.length > 0) throw invalidPreferences(req.prefs.invalid);
}
