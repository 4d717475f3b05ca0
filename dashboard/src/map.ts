/**
 * The hotspot map: H3 cells of each active hotspot as SVG polygons (h3-js
 * cellToBoundary), coloured by severity, over the shipped vector basemap of the demo
 * city — or over a plain kilometre grid when the org's hotspots lie elsewhere.
 * Hover shows a tooltip; click, Enter or Space selects (details panel).
 */
import { cellToBoundary } from 'h3-js';
import { basemap, type Pt } from './basemap.ts';
import { DEMO_CENTER, demoUniverse } from './demo-data.ts';
import { h, replace, s } from './dom.ts';
import { formatPValue, formatRatio, formatRecurrence, titleCase } from './format.ts';
import { display } from './org-display.ts';
import { points, Projection, UNITS_PER_KM, type LatLng } from './projection.ts';
import type { Hotspot, Severity } from './types.ts';

export interface MapView {
  el: HTMLElement;
  update(hotspots: readonly Hotspot[]): void;
  select(id: number | null): void;
}

/** Legend order, least severe first. */
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

type Box = [number, number, number, number]; // minX, minY, width, height (SVG units)

function hotspotLabel(hs: Hotspot): string {
  return `${titleCase(hs.severity)} ${display.phrase(hs.category)} hotspot, ${hs.cells.length} cell${hs.cells.length === 1 ? '' : 's'}, ` +
    `relative risk ${formatRatio(hs.relative_risk)}, p ${formatPValue(hs.p_value)}`;
}

function drawBasemap(proj: Projection): SVGGElement {
  const m = basemap();
  const sv = (p: Pt): [number, number] => proj.kmToSvg(p[0], p[1]);
  const poly = (ring: Pt[], cls: string): SVGPolygonElement => s('polygon', { class: cls, points: points(ring.map(sv)) });
  const line = (pts: Pt[], cls: string): SVGPolylineElement => s('polyline', { class: cls, points: points(pts.map(sv)) });
  const [x0, y0, x1, y1] = m.extent;
  const [ax, ay] = proj.kmToSvg(x0, y1);
  const g = s('g', { class: 'basemap', 'aria-hidden': 'true' },
    // Land well past the extent: letterboxing and zooming out show land and grid, not a void.
    s('rect', { class: 'bm-land', x: ax - 2000, y: ay - 2000, width: (x1 - x0) * UNITS_PER_KM + 4000, height: (y1 - y0) * UNITS_PER_KM + 4000 }),
    ...m.districts.map((d) => poly(d.ring, 'bm-district')),
    ...m.parks.map((p) => poly(p.ring, 'bm-park')),
    ...m.minorRoads.map((r) => line(r, 'bm-road-minor')),
    ...m.majorRoads.map((r) => line(r, 'bm-road-major')),
    line(m.rail, 'bm-rail'),
    line(m.river, 'bm-river'),
    poly(m.sea, 'bm-sea'),
    poly(m.harbour, 'bm-sea'),
    ...m.districts.map((d) => {
      const [x, y] = sv(d.label);
      return s('text', { class: 'bm-label-district', x, y, 'text-anchor': 'middle' }, d.name);
    }),
    ...m.labels.map((l) => {
      const [x, y] = sv(l.at);
      return s('text', { class: `bm-label-${l.kind}`, x, y, 'text-anchor': 'middle' }, l.text);
    }),
  );
  return g;
}

/** The demo's monitored area: faint res-8 hexagons, so an empty map still says where the scan looks. */
function drawMonitoredArea(proj: Projection): SVGGElement {
  return s('g', { class: 'monitored', 'aria-hidden': 'true' },
    ...demoUniverse().res8.map((c) => s('polygon', { points: points(cellToBoundary(c).map(([la, ln]) => proj.toSvg(la, ln))) })));
}

function drawGrid(box: Box): SVGGElement {
  const g = s('g', { class: 'grid', 'aria-hidden': 'true' });
  const step = UNITS_PER_KM;
  const [x, y, w, hgt] = box;
  for (let gx = Math.ceil(x / step) * step; gx <= x + w; gx += step) g.append(s('line', { x1: gx, y1: y, x2: gx, y2: y + hgt }));
  for (let gy = Math.ceil(y / step) * step; gy <= y + hgt; gy += step) g.append(s('line', { x1: x, y1: gy, x2: x + w, y2: gy }));
  return g;
}

function bboxOf(pts: Array<[number, number]>, pad: number): Box {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of pts) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  return [minX - pad, minY - pad, maxX - minX + 2 * pad, maxY - minY + 2 * pad];
}

export function createMap(opts: {
  onSelect(id: number | null): void;
  /** Shown on an empty map (e.g. a button that runs the demo). */
  emptyAction?: HTMLElement;
}): MapView {
  const demoProj = new Projection(DEMO_CENTER);
  const [ex0, ey0, ex1, ey1] = basemap().extent;
  const demoBox: Box = [ex0 * UNITS_PER_KM, -ey1 * UNITS_PER_KM, (ex1 - ex0) * UNITS_PER_KM, (ey1 - ey0) * UNITS_PER_KM];

  const svg = s('svg', { class: 'map-svg', 'aria-labelledby': 'map-title', preserveAspectRatio: 'xMidYMid meet' });
  const tooltip = h('div', { class: 'map-tooltip', role: 'tooltip', id: 'map-tooltip', hidden: true });
  const emptyText = h('span', {});
  const empty = h('div', { class: 'map-empty' }, emptyText, opts.emptyAction ?? null);
  const layers = { back: s('g'), hotspots: s('g', { class: 'hotspots' }) };
  svg.append(layers.back, layers.hotspots);

  let proj = demoProj;
  let mode: 'demo' | 'elsewhere' | null = null;
  let home: Box = demoBox;
  let view: Box = demoBox;
  let selected: number | null = null;
  let current: readonly Hotspot[] = [];

  const setView = (b: Box): void => {
    view = b;
    svg.setAttribute('viewBox', b.map((v) => v.toFixed(1)).join(' '));
  };
  const zoom = (factor: number): void => {
    const [x, y, w, hgt] = view;
    const cx = x + w / 2, cy = y + hgt / 2;
    const nw = Math.min(home[2] * 4, Math.max(home[2] / 8, w / factor));
    const nh = (nw / w) * hgt;
    setView([cx - nw / 2, cy - nh / 2, nw, nh]);
  };

  const zoomIn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Zoom in', title: 'Zoom in', onclick: () => zoom(1.5) }, '+');
  const zoomOut = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Zoom out', title: 'Zoom out', onclick: () => zoom(1 / 1.5) }, '−');
  const reset = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Show the whole area', title: 'Show the whole area', onclick: () => setView(home) }, '⤢');

  const legend = h('ul', { class: 'legend', 'aria-label': 'Severity colours' },
    ...SEVERITIES.map((sv) => h('li', {}, h('span', { class: `swatch sev-${sv}`, 'aria-hidden': 'true' }), titleCase(sv))));

  const el = h('section', { class: 'panel map-panel', 'aria-labelledby': 'map-title' },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'map-title' }, 'Active hotspots'),
      h('div', { class: 'map-controls' }, zoomIn, zoomOut, reset)),
    h('div', { class: 'map-wrap' }, svg, tooltip, empty),
    legend);

  const showTooltip = (hs: Hotspot, evt: MouseEvent | FocusEvent): void => {
    replace(tooltip,
      h('strong', {}, `${titleCase(hs.severity)} · ${display.label(hs.category)}`),
      h('span', {}, `${hs.observed} observed vs ${hs.expected.toFixed(1)} expected`),
      h('span', {}, `RR ${formatRatio(hs.relative_risk)} · p ${formatPValue(hs.p_value)}`),
      h('span', {}, formatRecurrence(hs.recurrence_interval_days)));
    tooltip.hidden = false;
    const wrap = svg.parentElement!.getBoundingClientRect();
    let x: number, y: number;
    if (evt instanceof MouseEvent) {
      x = evt.clientX - wrap.left; y = evt.clientY - wrap.top;
    } else {
      const r = (evt.target as Element).getBoundingClientRect();
      x = r.left + r.width / 2 - wrap.left; y = r.top - wrap.top;
    }
    tooltip.style.left = `${Math.min(Math.max(8, x + 12), wrap.width - 200)}px`;
    tooltip.style.top = `${Math.max(8, y + 12)}px`;
  };
  const hideTooltip = (): void => { tooltip.hidden = true; };

  const render = (): void => {
    // Basemap when the hotspots are in (or near) the demo city; else recentre on them over a grid.
    const far = current.length > 0 && current.every((hs) => {
      const [x, y] = demoProj.toKm(hs.center_lat, hs.center_lng);
      return Math.abs(x) > 8 || Math.abs(y) > 8;
    });
    const nextMode = far ? 'elsewhere' : 'demo';
    if (nextMode !== mode || nextMode === 'elsewhere') {
      const ref: LatLng = far
        ? { lat: current.reduce((a, hs) => a + hs.center_lat, 0) / current.length, lng: current.reduce((a, hs) => a + hs.center_lng, 0) / current.length }
        : DEMO_CENTER;
      proj = far ? new Projection(ref) : demoProj;
      const box = far
        ? bboxOf(current.flatMap((hs) => hs.cells.flatMap((c) => cellToBoundary(c).map(([la, ln]) => proj.toSvg(la, ln)))), 150)
        : demoBox;
      if (nextMode !== mode || far) {
        home = box;
        setView(box);
        replace(layers.back, ...(far ? [drawGrid([box[0] - 2000, box[1] - 2000, box[2] + 4000, box[3] + 4000])] : [drawBasemap(proj), drawMonitoredArea(proj)]));
      }
      mode = nextMode;
    }

    // Larger and less severe first, so small severe ones stay on top and clickable.
    const order: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
    const sorted = [...current].sort((a, b) => order[a.severity] - order[b.severity] || b.cells.length - a.cells.length);
    // Redrawing replaces the groups; keep keyboard focus on the hotspot that had it.
    const focused = document.activeElement instanceof SVGGElement && layers.hotspots.contains(document.activeElement)
      ? document.activeElement.dataset.hotspotId : undefined;
    replace(layers.hotspots, ...sorted.map((hs) => {
      const g = s('g', {
        class: `hotspot sev-${hs.severity}${hs.status === 'new' ? ' is-new' : ''}${hs.id === selected ? ' is-selected' : ''}`,
        tabindex: 0, role: 'button', 'aria-pressed': String(hs.id === selected),
        'aria-label': hotspotLabel(hs), 'data-hotspot-id': hs.id,
      }, ...hs.cells.map((c) => s('polygon', { points: points(cellToBoundary(c).map(([la, ln]) => proj.toSvg(la, ln))) })));
      const [cx, cy] = proj.toSvg(hs.center_lat, hs.center_lng);
      g.append(s('circle', { class: 'hotspot-center', cx, cy, r: 9 }),
        // Overlapping hotspots of different categories stay tellable apart.
        s('text', { class: 'hotspot-label', x: cx, y: cy - 16, 'text-anchor': 'middle', 'aria-hidden': 'true' }, display.label(hs.category)));
      g.addEventListener('click', () => opts.onSelect(hs.id));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); opts.onSelect(hs.id); }
      });
      g.addEventListener('mousemove', (e) => showTooltip(hs, e));
      g.addEventListener('mouseleave', hideTooltip);
      g.addEventListener('focus', (e) => showTooltip(hs, e));
      g.addEventListener('blur', hideTooltip);
      return g;
    }));
    if (focused) layers.hotspots.querySelector<SVGGElement>(`[data-hotspot-id="${focused}"]`)?.focus({ preventScroll: true });
    emptyText.textContent = opts.emptyAction
      ? 'No active hotspots yet. The demo loads four weeks of events for the synthetic city and injects clusters to detect.'
      : 'No active hotspots.';
    empty.hidden = current.length > 0;
  };

  return {
    el,
    update(list) {
      current = list.filter((hs) => hs.status !== 'resolved');
      hideTooltip();
      render();
    },
    select(id) {
      selected = id;
      for (const g of layers.hotspots.querySelectorAll<SVGGElement>('.hotspot')) {
        const on = Number(g.dataset.hotspotId) === id;
        g.classList.toggle('is-selected', on);
        g.setAttribute('aria-pressed', String(on));
      }
    },
  };
}
