/**
 * Global setup of the browser project: say loudly when the browser tests cannot run —
 * at the start, and again at the end so the message is not scrolled away.
 */
import { hasChromium, SKIP_BANNER } from './chromium.ts';

export function setup(): () => void {
  if (!hasChromium) process.stderr.write(SKIP_BANNER);
  return () => {
    if (!hasChromium) process.stderr.write(SKIP_BANNER);
  };
}
