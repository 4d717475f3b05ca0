/** The live alerts feed: state, severity, acknowledge and resolve. */
import type { DashboardApi } from './api.ts';
import { h } from './dom.ts';
import { errorMessage } from './errors.ts';
import { categoryChip } from './category-chip.ts';
import { formatAgo, titleCase } from './format.ts';
import { keyedList } from './keyed-list.ts';
import { display } from './org-display.ts';
import type { Alert } from './types.ts';

export interface AlertsView {
  el: HTMLElement;
  update(rows: readonly Alert[]): void;
}

const STATE_ORDER: Record<Alert['state'], number> = { firing: 0, pending: 1, acknowledged: 2, resolved: 3 };
const SEVERITY_ORDER: Record<Alert['severity'], number> = { critical: 0, high: 1, medium: 2, low: 3 };
/** Resolved alerts kept in the feed when "show resolved" is on. */
const MAX_RESOLVED_SHOWN = 50;

export function createAlerts(opts: {
  api: DashboardApi;
  canAct: boolean;
  onSelectHotspot(id: number): void;
}): AlertsView {
  const list = h('ul', { class: 'feed', 'aria-label': 'Alerts' });
  const count = h('span', { class: 'count' });
  const empty = h('p', { class: 'muted' }, 'No alerts yet.');
  const showResolved = h('input', { type: 'checkbox', id: 'show-resolved-alerts' });
  const busy = new Map<number, string>();
  const errors = new Map<number, string>();
  let rows: readonly Alert[] = [];

  const act = async (alert: Alert, action: 'acknowledge' | 'resolve'): Promise<void> => {
    busy.set(alert.id, action);
    errors.delete(alert.id);
    draw();
    try {
      if (action === 'acknowledge') await opts.api.acknowledgeAlert(alert.id);
      else await opts.api.resolveAlert(alert.id);
    } catch (e) {
      errors.set(alert.id, errorMessage(e));
    } finally {
      busy.delete(alert.id);
      draw();
    }
  };

  const render = (a: Alert): HTMLElement => {
    const pending = busy.get(a.id);
    const err = errors.get(a.id);
    const actions = opts.canAct && a.state !== 'resolved'
      ? h('div', { class: 'actions' },
        a.state === 'pending' || a.state === 'firing'
          ? h('button', { type: 'button', class: 'btn', 'data-focus-key': 'ack', disabled: Boolean(pending), onclick: () => void act(a, 'acknowledge') },
            pending === 'acknowledge' ? 'Acknowledging…' : 'Acknowledge')
          : null,
        h('button', { type: 'button', class: 'btn', 'data-focus-key': 'resolve', disabled: Boolean(pending), onclick: () => void act(a, 'resolve') },
          pending === 'resolve' ? 'Resolving…' : 'Resolve'))
      : null;
    // On the org's clock (its settings' time zone), with how long ago.
    const [verb, at] = a.state === 'acknowledged' && a.acknowledged_at ? ['acknowledged', a.acknowledged_at]
      : a.state === 'resolved' && a.resolved_at ? ['resolved', a.resolved_at]
        : ['raised', a.created_at];
    return h('li', { class: `feed-item alert-item state-${a.state}`, 'data-alert-id': a.id, 'data-hotspot-id': a.hotspot_id, 'data-state': a.state },
      h('div', { class: 'item-head' },
        h('span', { class: `badge sev-${a.severity}` }, titleCase(a.severity)),
        h('button', { type: 'button', class: 'link-btn item-title', 'data-focus-key': 'title', onclick: () => opts.onSelectHotspot(a.hotspot_id),
          'aria-label': `${a.title} — show hotspot on the map` }, a.title),
        h('span', { class: `badge state state-${a.state}`, 'data-field': 'state' }, a.state)),
      h('p', { class: 'item-desc' }, a.description),
      h('p', { class: 'meta' },
        `${verb} `, h('time', { datetime: at, 'data-field': 'when' }, display.time(at)), ` (${formatAgo(at)})`,
        ' · ', categoryChip(a.category), ` · detected ${a.consecutive_detections}× · notified ${a.notify_count}×`),
      actions,
      err ? h('p', { class: 'error', role: 'alert' }, err) : null);
  };

  const keyed = keyedList<Alert>(list, {
    key: (a) => a.id,
    stamp: (a) => `${a.version}|${display.version}|${busy.get(a.id) ?? ''}|${errors.get(a.id) ?? ''}`,
    render,
  });

  function draw(): void {
    const active = rows.filter((a) => a.state !== 'resolved');
    const resolved = showResolved.checked
      ? rows.filter((a) => a.state === 'resolved').sort((a, b) => b.updated_at.localeCompare(a.updated_at)).slice(0, MAX_RESOLVED_SHOWN)
      : [];
    active.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]
      || b.updated_at.localeCompare(a.updated_at));
    keyed.update([...active, ...resolved]);
    count.textContent = `${active.length} active`;
    empty.hidden = active.length + resolved.length > 0;
  }
  showResolved.addEventListener('change', draw);

  const el = h('section', { class: 'panel feed-panel', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'alerts-title' }, 'Alerts ', count),
      h('label', { class: 'toggle', for: 'show-resolved-alerts' }, showResolved, ' Show resolved')),
    h('div', { class: 'panel-scroll' }, empty, list),
    opts.canAct ? null : h('p', { class: 'muted small' }, 'View only: operators acknowledge and resolve alerts.'));
  draw();

  return {
    el,
    update(next) {
      rows = next;
      draw();
    },
  };
}
