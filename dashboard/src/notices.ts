/** One polite live region for progress and results, one assertive region for failures. */
import { h } from './dom.ts';

export interface Notices {
  el: HTMLElement;
  info(msg: string): void;
  error(msg: string): void;
  clear(): void;
}

export function createNotices(): Notices {
  const info = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'notice notice-error', role: 'alert' });
  const dismiss = h('button', { type: 'button', class: 'link-btn', hidden: true, onclick: () => clear() }, 'Dismiss');
  const el = h('div', { class: 'notices' }, info, error, dismiss);
  const clear = (): void => {
    info.textContent = '';
    error.textContent = '';
    dismiss.hidden = true;
  };
  return {
    el,
    info(msg) {
      error.textContent = '';
      info.textContent = msg;
      dismiss.hidden = false;
    },
    error(msg) {
      error.textContent = msg;
      dismiss.hidden = false;
    },
    clear,
  };
}
