/**
 * "Why is this a hotspot", as a picture: the hotspot's cells hour by hour — observed
 * events against the expected count with its 95 % band — over the last 48 hours or 7
 * days, the cluster's window shaded. Drawn with uPlot on a canvas; the same numbers as
 * a table (behind a disclosure) for keyboard and screen-reader users, and the canvas
 * carries a spoken summary.
 *
 * The chart reloads when another hotspot is shown, when the shown one is re-detected
 * (its version changes) or when the range changes; answers that arrive late for an
 * older request are dropped.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './hotspot-chart.css';
import { h, replace } from './dom.ts';
import { formatCount, formatTime, titleCase } from './format.ts';
import { inWindow, SERIES_RANGES, type HotspotSeries } from './hotspot-series-api.ts';
import type { Hotspot } from './types.ts';

const COLOURS = {
  observed: '#b91c1c',
  expected: '#1d4ed8',
  band: 'rgba(29, 78, 216, 0.16)',
  window: 'rgba(234, 179, 8, 0.22)',
} as const;

export interface HotspotChartView {
  el: HTMLElement;
  show(hs: Hotspot | null): void;
}

/** What the picture says, for the canvas's accessible name. */
export function describeSeries(s: HotspotSeries, hours: number): string {
  const win = s.points.filter((p) => inWindow(s, p));
  const obs = win.reduce((a, p) => a + p.observed, 0);
  const exp = win.reduce((a, p) => a + p.expected, 0);
  const above = win.filter((p) => p.observed > p.high).length;
  const range = SERIES_RANGES.find((r) => r.hours === hours)?.label ?? `${hours} hours`;
  return `${titleCase(s.category)} events per hour in the hotspot's ${s.cells.length} cell${s.cells.length === 1 ? '' : 's'}, last ${range}: ` +
    `observed against the expected count and its 95 % band. In the cluster's window (${formatTime(s.window_start)} – ${formatTime(s.window_end)}) ` +
    `${formatCount(obs)} observed vs ${formatCount(exp)} expected; ${above} of ${win.length} hour${win.length === 1 ? '' : 's'} above the band.`;
}

function table(s: HotspotSeries): HTMLTableElement {
  return h('table', { class: 'series-table' },
    h('caption', {}, 'Events per hour in the hotspot\'s cells: observed, expected and the 95 % band'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Hour'), h('th', { scope: 'col' }, 'Observed'), h('th', { scope: 'col' }, 'Expected'),
      h('th', { scope: 'col' }, 'Band (95 %)'), h('th', { scope: 'col' }, 'Cluster window'))),
    h('tbody', {}, ...s.points.map((p) => h('tr', inWindow(s, p) ? { class: 'in-window' } : {},
      h('th', { scope: 'row' }, h('time', { datetime: p.t }, formatTime(p.t))),
      h('td', {}, String(p.observed)),
      h('td', {}, p.expected.toFixed(2)),
      h('td', {}, `${p.low}–${p.high}`),
      h('td', {}, inWindow(s, p) ? 'yes' : '')))));
}

function plot(s: HotspotSeries, target: HTMLElement, width: number): uPlot {
  const secs = (iso: string): number => Date.parse(iso) / 1000;
  // Each hour is a step from its start to the next hour's; a closing x at the range's end
  // (repeating the last values) draws the last hour too.
  const x = [...s.points.map((p) => secs(p.t)), secs(s.to)];
  const col = (f: (p: HotspotSeries['points'][number]) => number): number[] => {
    const v = s.points.map(f);
    return [...v, v.at(-1) ?? 0];
  };
  const data: uPlot.AlignedData = [x, col((p) => p.low), col((p) => p.high), col((p) => p.expected), col((p) => p.observed)];
  const w0 = secs(s.window_start);
  const w1 = secs(s.window_end);
  const stepped = uPlot.paths.stepped!({ align: 1 });
  return new uPlot({
    width, height: 200,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
    axes: [{ stroke: '#4b5563' }, { stroke: '#4b5563', label: 'events / hour', size: 48 }],
    series: [
      {},
      { label: 'band low', stroke: 'transparent', points: { show: false }, paths: stepped },
      { label: 'band high', stroke: 'transparent', points: { show: false }, paths: stepped },
      { label: 'expected', stroke: COLOURS.expected, width: 1.5, dash: [6, 4], points: { show: false }, paths: stepped },
      { label: 'observed', stroke: COLOURS.observed, width: 2, points: { show: false }, paths: stepped },
    ],
    bands: [{ series: [2, 1], fill: COLOURS.band }],
    hooks: {
      // The cluster's window, under everything else.
      drawClear: [(u) => {
        const a = Math.max(u.bbox.left, u.valToPos(w0, 'x', true));
        const b = Math.min(u.bbox.left + u.bbox.width, u.valToPos(w1, 'x', true));
        if (b <= a) return;
        u.ctx.save();
        u.ctx.fillStyle = COLOURS.window;
        u.ctx.fillRect(a, u.bbox.top, b - a, u.bbox.height);
        u.ctx.restore();
      }],
    },
  }, data, target);
}

export function createHotspotChart(opts: { load(hotspotId: number, hours: number): Promise<HotspotSeries> }): HotspotChartView {
  let hours: number = SERIES_RANGES[0].hours;
  let hotspot: Hotspot | null = null;
  let loadedKey = '';
  let request = 0;
  let chart: uPlot | null = null;
  let series: HotspotSeries | null = null;

  const status = h('p', { class: 'muted chart-status', role: 'status' });
  const canvasBox = h('div', { class: 'chart-canvas', role: 'img', 'aria-label': 'Chart loading' });
  const tableBox = h('div', { class: 'chart-table', tabindex: 0, role: 'region', 'aria-label': 'Hourly counts' });
  const buttons = SERIES_RANGES.map((r) => h('button', {
    type: 'button', class: 'btn chart-range', 'data-hours': r.hours, 'aria-pressed': String(r.hours === hours),
    onclick: () => {
      if (hours === r.hours) return;
      hours = r.hours;
      for (const b of buttons) b.setAttribute('aria-pressed', String(Number(b.dataset['hours']) === hours));
      void reload();
    },
  }, r.label));
  const legend = h('ul', { class: 'chart-legend' },
    h('li', {}, h('span', { class: 'key key-observed', 'aria-hidden': 'true' }), 'Observed'),
    h('li', {}, h('span', { class: 'key key-expected', 'aria-hidden': 'true' }), 'Expected'),
    h('li', {}, h('span', { class: 'key key-band', 'aria-hidden': 'true' }), '95 % band'),
    h('li', {}, h('span', { class: 'key key-window', 'aria-hidden': 'true' }), 'Cluster window'));
  // Not part of the details panel's live region: a reload would read the whole table out.
  const el = h('section', { class: 'hotspot-chart', 'aria-labelledby': 'hotspot-chart-title', 'aria-live': 'off' },
    h('div', { class: 'chart-head' },
      h('h3', { id: 'hotspot-chart-title' }, 'Events per hour: observed vs expected'),
      h('div', { class: 'chart-ranges', role: 'group', 'aria-label': 'Time range' }, ...buttons)),
    canvasBox, legend, status,
    h('details', { class: 'chart-table-toggle' }, h('summary', {}, 'Show the numbers as a table'), tableBox));

  const draw = (): void => {
    chart?.destroy();
    chart = null;
    canvasBox.replaceChildren();
    if (!series) return;
    chart = plot(series, canvasBox, Math.max(240, canvasBox.clientWidth || el.clientWidth || 320));
  };
  new ResizeObserver(() => {
    if (chart && series && canvasBox.clientWidth > 0 && Math.abs(chart.width - canvasBox.clientWidth) > 8) {
      chart.setSize({ width: Math.max(240, canvasBox.clientWidth), height: 200 });
    }
  }).observe(canvasBox);

  async function reload(): Promise<void> {
    const hs = hotspot;
    if (!hs) return;
    const mine = ++request;
    loadedKey = `${hs.id}:${hs.version}:${hours}`;
    el.setAttribute('aria-busy', 'true');
    status.textContent = 'Loading the hourly counts…';
    try {
      const s = await opts.load(hs.id, hours);
      if (mine !== request) return;
      series = s;
      draw();
      canvasBox.setAttribute('aria-label', describeSeries(s, hours));
      replace(tableBox, table(s));
      status.textContent = s.points.some((p) => p.model === 'permutation')
        ? 'Under a week of history: the scan compares against the window itself (space-time permutation); the expected line is the baseline estimated so far.'
        : '';
    } catch (e) {
      if (mine !== request) return;
      loadedKey = '';
      status.textContent = `The chart could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      if (mine === request) el.removeAttribute('aria-busy');
    }
  }

  return {
    el,
    show(hs) {
      hotspot = hs;
      if (!hs) {
        request++;
        loadedKey = '';
        return;
      }
      if (loadedKey !== `${hs.id}:${hs.version}:${hours}`) {
        if (series && series.hotspot_id !== String(hs.id)) {
          series = null;
          draw();
          replace(tableBox);
        }
        void reload();
      }
    },
  };
}
