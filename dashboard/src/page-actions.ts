/**
 * A page's change buttons: disable the button while the call runs, say the result in the
 * polite region (or the failure in the alert region), then reload what the page shows.
 */
import { errorMessage } from './errors.ts';

export type Act = (button: HTMLButtonElement, work: () => Promise<string>) => Promise<void>;

export function pageActions(status: HTMLElement, failure: HTMLElement, reload: () => Promise<void>): { act: Act; fail(e: unknown): void } {
  const fail = (e: unknown): void => { failure.textContent = errorMessage(e); };
  const act: Act = async (button, work) => {
    button.disabled = true;
    try {
      const msg = await work();
      failure.textContent = '';
      status.textContent = msg;
      await reload();
    } catch (e) {
      fail(e);
    } finally {
      button.disabled = false;
    }
  };
  return { act, fail };
}
