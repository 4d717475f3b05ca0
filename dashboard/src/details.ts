/**
 * Details of the selected hotspot: observed vs expected, relative risk, p-value,
 * recurrence interval, since when, the scan run that detected it, and the chart of its
 * cells hour by hour against the expected baseline (hotspot-chart.ts). The chart stays
 * one element across updates of the same hotspot, so a live update neither redraws it
 * nor moves the keyboard focus off its controls.
 */
import type { ScanRun } from './api.ts';
import { h, replace } from './dom.ts';
import { categoryChip } from './category-chip.ts';
import { formatAgo, formatCount, formatDistance, formatPValue, formatRatio, formatRecurrence, titleCase } from './format.ts';
import { createHotspotChart } from './hotspot-chart.ts';
import type { HotspotSeries } from './hotspot-series-api.ts';
import { display } from './org-display.ts';
import type { Hotspot } from './types.ts';

export interface DetailsView {
  el: HTMLElement;
  show(hs: Hotspot | null): void;
}

export function createDetails(opts: {
  loadScanRun(id: number): Promise<ScanRun | null>;
  loadSeries(hotspotId: number, hours: number): Promise<HotspotSeries>;
  onClose(): void;
}): DetailsView {
  const body = h('div', { class: 'details-body' });
  const stats = h('div', { class: 'details-stats' });
  const chart = createHotspotChart({ load: opts.loadSeries });
  const clear = h('button', { type: 'button', class: 'link-btn', onclick: () => opts.onClose() }, 'Clear selection');
  const el = h('section', { class: 'panel details-panel', 'aria-labelledby': 'details-title', 'aria-live': 'polite' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'details-title' }, 'Hotspot details')), body);
  let shownId: number | null = null;
  const runs = new Map<number, Promise<ScanRun | null>>();
  const describeRun = (run: ScanRun): string =>
    `run #${run.id} · ${run.trigger} · ${run.status} · ${display.time(run.started_at)}` +
    (run.cpu_ms !== null ? ` · ${Math.round(run.cpu_ms)} ms CPU` : '');

  const row = (label: string, value: Node | string, testid?: string): HTMLElement[] => [
    h('dt', {}, label), h('dd', testid ? { 'data-field': testid } : {}, value),
  ];

  return {
    el,
    show(hs) {
      chart.show(hs);
      if (!hs) {
        shownId = null;
        replace(body, h('p', { class: 'muted' }, 'Select a hotspot on the map, or an alert in the feed, to see its statistics.'));
        return;
      }
      const scanLine = h('span', {}, hs.scan_id ? `run #${hs.scan_id}` : 'not recorded');
      shownId = hs.id;
      if (stats.parentElement !== body) replace(body, stats, chart.el, clear);
      replace(stats,
        h('p', { class: 'details-title' },
          h('span', { class: `badge sev-${hs.severity}` }, titleCase(hs.severity)), ' ',
          h('strong', {}, categoryChip(hs.category), ' cluster'), ' ',
          h('span', { class: `badge status-${hs.status}` }, hs.status)),
        h('dl', { class: 'stats' },
          ...row('Observed vs expected', `${formatCount(hs.observed)} vs ${formatCount(hs.expected)}`, 'observed-expected'),
          ...row('Relative risk', formatRatio(hs.relative_risk), 'relative-risk'),
          ...row('p-value', formatPValue(hs.p_value), 'p-value'),
          ...row('Recurrence interval', hs.recurrence_interval_days < 3650
            ? `${formatRecurrence(hs.recurrence_interval_days)} (${formatCount(hs.recurrence_interval_days)} days)`
            : formatRecurrence(hs.recurrence_interval_days), 'recurrence'),
          ...row('Since', h('time', { datetime: hs.first_detected_at },
            `${display.time(hs.first_detected_at)} (${formatAgo(hs.first_detected_at)})`), 'since'),
          ...row('Window', `${display.time(hs.window_start)} – ${display.time(hs.window_end)}`, 'window'),
          ...row('Area', `${hs.cells.length} H3 cell${hs.cells.length === 1 ? '' : 's'}, radius ${formatDistance(hs.radius_m)}`),
          ...row('Model', hs.model),
          ...row('Scan run', scanLine, 'scan-run')));
      if (hs.scan_id) {
        const id = hs.scan_id;
        if (!runs.has(id)) runs.set(id, opts.loadScanRun(id).catch(() => { runs.delete(id); return null; }));
        void runs.get(id)!.then((run) => {
          if (shownId === hs.id && run && scanLine.isConnected) scanLine.textContent = describeRun(run);
        });
      }
    },
  };
}
