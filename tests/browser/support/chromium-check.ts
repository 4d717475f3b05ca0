/** Global setup of the browser project: say loudly, once, when the browser tests cannot run. */
import { hasChromium, SKIP_BANNER } from './chromium.ts';

export function setup(): void {
  if (!hasChromium) process.stderr.write(SKIP_BANNER);
}
