/** The connection indicator: live / catching up / reconnecting (as the SDK reports it). */
import { h } from './dom.ts';
import type { ConnectionStatus } from './types.ts';

const LABELS: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  'catching-up': 'Catching up…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const HINTS: Record<ConnectionStatus, string> = {
  connecting: 'Joining the live streams.',
  live: 'Changes arrive as they happen.',
  'catching-up': 'Loading what changed while the connection was down; nothing is lost.',
  reconnecting: 'The connection dropped; retrying with backoff. Changes made meanwhile will be caught up.',
  offline: 'Not connected. Changes will be caught up when the connection returns.',
};

export interface ConnectionView {
  el: HTMLElement;
  set(status: ConnectionStatus): void;
}

export function createConnection(initial: ConnectionStatus): ConnectionView {
  const label = h('span', { class: 'conn-label' });
  const el = h('div', { class: 'conn', role: 'status', 'aria-live': 'polite', 'data-status': initial },
    h('span', { class: 'conn-dot', 'aria-hidden': 'true' }), label);
  const set = (status: ConnectionStatus): void => {
    el.dataset.status = status;
    el.title = HINTS[status];
    label.textContent = LABELS[status];
  };
  set(initial);
  return { el, set };
}
