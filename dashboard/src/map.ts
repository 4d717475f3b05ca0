/**
 * The hotspot map, drawn by MapLibre GL JS over the org's basemap (org settings `map`:
 * a style URL, a PMTiles archive in Storage, or none — then the area and districts on a
 * neutral background; the demo org keeps its generated city as a local style). On top:
 * the area outline, the districts with their names (HTML markers: no glyph server, so
 * labels render offline) and each active hotspot's H3 cells (h3-js cellToBoundary),
 * coloured by severity. Each hotspot also has a marker at its centre: a focusable
 * role="button" element, so the map is operable from the keyboard (Tab, Enter/Space)
 * and a screen reader hears the hotspot's label. Hover or focus shows a tooltip.
 */
import { LngLatBounds, Map as MapLibre, Marker, setWorkerUrl, type GeoJSONSource, type LayerSpecification, type SourceSpecification, type StyleSpecification } from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { cellToBoundary } from 'h3-js';
import { h, replace } from './dom.ts';
import { formatPValue, formatRatio, formatRecurrence, titleCase } from './format.ts';
import { display } from './org-display.ts';
import type { District, MapApi, OrgMap } from './map-api.ts';
import { labelPoint } from './map-geometry.ts';
import { archiveStyle, demoBounds, demoDistricts, demoLabels, demoStyle, neutralStyle } from './map-style.ts';
import { openArchive } from './pmtiles-archive.ts';
import type { Hotspot, Severity } from './types.ts';

// MapLibre 6 runs its tile parsing in a module worker loaded from this URL: a file of our
// own origin (CSP worker-src 'self'), emitted by Vite beside the bundle.
setWorkerUrl(workerUrl);

export interface MapView {
  el: HTMLElement;
  update(hotspots: readonly Hotspot[]): void;
  select(id: number | null): void;
  stop(): void;
}

/** Legend order, least severe first. */
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const FILL: Readonly<Record<Severity, string>> = { low: '#eab308', medium: '#f97316', high: '#dc2626', critical: '#7e22ce' };
const STROKE: Readonly<Record<Severity, string>> = { low: '#a16207', medium: '#c2410c', high: '#991b1b', critical: '#581c87' };
const SEVERITY_ORDER: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

type Collection = GeoJSON.FeatureCollection;
const EMPTY: Collection = { type: 'FeatureCollection', features: [] };

function hotspotLabel(hs: Hotspot): string {
  return `${titleCase(hs.severity)} ${display.phrase(hs.category)} hotspot, ${hs.cells.length} cell${hs.cells.length === 1 ? '' : 's'}, ` +
    `relative risk ${formatRatio(hs.relative_risk)}, p ${formatPValue(hs.p_value)}`;
}

/** A cell's hexagon as a closed GeoJSON ring ([lng, lat]). */
function hexagon(cell: string): Array<[number, number]> {
  return cellToBoundary(cell, true) as Array<[number, number]>;
}

function hotspotFeatures(list: readonly Hotspot[], selected: number | null): Collection {
  // Larger and less severe first, so small severe ones are drawn on top.
  const sorted = [...list].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.cells.length - a.cells.length);
  return {
    type: 'FeatureCollection',
    features: sorted.map((hs) => ({
      type: 'Feature',
      properties: { id: hs.id, severity: hs.severity, selected: hs.id === selected },
      geometry: { type: 'MultiPolygon', coordinates: hs.cells.map((c) => [hexagon(c)]) },
    })),
  };
}

const OVERLAY_LAYERS: LayerSpecification[] = [
  { id: 'hw-district-fill', type: 'fill', source: 'hw-districts', paint: { 'fill-color': '#64748b', 'fill-opacity': 0.05 } },
  { id: 'hw-district-line', type: 'line', source: 'hw-districts', paint: { 'line-color': '#6b7280', 'line-width': 1.5, 'line-dasharray': [3, 2] } },
  { id: 'hw-area-line', type: 'line', source: 'hw-area', paint: { 'line-color': '#1f2937', 'line-width': 3 } },
  {
    id: 'hw-hotspot-fill', type: 'fill', source: 'hw-hotspots',
    paint: { 'fill-color': ['match', ['get', 'severity'], ...SEVERITIES.flatMap((s) => [s, FILL[s]]), '#888888'] as never, 'fill-opacity': 0.55 },
  },
  {
    id: 'hw-hotspot-line', type: 'line', source: 'hw-hotspots',
    paint: {
      'line-color': ['case', ['get', 'selected'], '#111827', ['match', ['get', 'severity'], ...SEVERITIES.flatMap((s) => [s, STROKE[s]]), '#444444']] as never,
      'line-width': ['case', ['get', 'selected'], 3.5, 1.5],
    },
  },
];

/** Bounds of every [lng, lat] in the given geometries; null when there are none. */
function boundsOf(coords: Iterable<[number, number]>): LngLatBounds | null {
  let b: LngLatBounds | null = null;
  for (const c of coords) b = b ? b.extend(c) : new LngLatBounds(c, c);
  return b;
}
function* positions(g: GeoJSON.Polygon | GeoJSON.MultiPolygon): Generator<[number, number]> {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const p of polys) for (const r of p) for (const c of r) yield [c[0]!, c[1]!];
}

export function createMap(opts: {
  onSelect(id: number | null): void;
  /** Shown on an empty map (e.g. a button that runs the demo). */
  emptyAction?: HTMLElement;
  orgId: string;
  mapApi: MapApi;
  /** Whether the org is the demo org (its generated city is the basemap when none is configured). */
  isDemo: Promise<boolean>;
}): MapView {
  const canvas = h('div', { class: 'map-canvas' });
  const tooltip = h('div', { class: 'map-tooltip', role: 'tooltip', id: 'map-tooltip', hidden: true });
  const emptyText = h('span', {});
  const empty = h('div', { class: 'map-empty' }, emptyText, opts.emptyAction ?? null);
  const note = h('p', { class: 'map-note muted small', 'data-map-note': '' });
  const wrap = h('div', { class: 'map-wrap' }, canvas, tooltip, empty);

  let map: MapLibre | null = null;
  let home: LngLatBounds | null = null;
  let selected: number | null = null;
  let current: readonly Hotspot[] = [];
  let stopped = false;
  let framedHotspots = false;
  const overlay: Record<'hw-districts' | 'hw-area' | 'hw-hotspots', Collection> = { 'hw-districts': EMPTY, 'hw-area': EMPTY, 'hw-hotspots': EMPTY };
  const markers = new Map<number, { marker: Marker; el: HTMLElement; hs: Hotspot }>();
  let labelMarkers: Marker[] = [];

  const fitHome = (animate: boolean): void => {
    const b = home ?? boundsOf(current.flatMap((hs) => hs.cells.flatMap(hexagon)));
    if (map && b) map.fitBounds(b, { padding: 24, animate, maxZoom: 15 });
  };
  const zoomIn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Zoom in', title: 'Zoom in', onclick: () => map?.zoomIn() }, '+');
  const zoomOut = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Zoom out', title: 'Zoom out', onclick: () => map?.zoomOut() }, '−');
  const reset = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Show the whole area', title: 'Show the whole area', onclick: () => fitHome(true) }, '⤢');

  const legend = h('ul', { class: 'legend', 'aria-label': 'Severity colours' },
    ...SEVERITIES.map((sv) => h('li', {}, h('span', { class: `swatch sev-${sv}`, 'aria-hidden': 'true' }), titleCase(sv))));

  const el = h('section', { class: 'panel map-panel', 'aria-labelledby': 'map-title' },
    h('div', { class: 'panel-head' },
      h('h2', { id: 'map-title' }, 'Active hotspots'),
      h('div', { class: 'map-controls' }, zoomIn, zoomOut, reset)),
    wrap, legend, note);

  const showTooltip = (hs: Hotspot, x: number, y: number): void => {
    replace(tooltip,
      h('strong', {}, `${titleCase(hs.severity)} · ${display.label(hs.category)}`),
      h('span', {}, `${hs.observed} observed vs ${hs.expected.toFixed(1)} expected`),
      h('span', {}, `RR ${formatRatio(hs.relative_risk)} · p ${formatPValue(hs.p_value)}`),
      h('span', {}, formatRecurrence(hs.recurrence_interval_days)));
    tooltip.hidden = false;
    const w = wrap.getBoundingClientRect();
    tooltip.style.left = `${Math.min(Math.max(8, x + 12), w.width - 200)}px`;
    tooltip.style.top = `${Math.max(8, y + 12)}px`;
  };
  const tooltipAt = (hs: Hotspot, target: Element): void => {
    const r = target.getBoundingClientRect();
    const w = wrap.getBoundingClientRect();
    showTooltip(hs, r.left + r.width / 2 - w.left, r.top - w.top);
  };
  const hideTooltip = (): void => { tooltip.hidden = true; };

  const setData = (id: keyof typeof overlay, data: Collection): void => {
    overlay[id] = data;
    (map?.getSource(id) as GeoJSONSource | undefined)?.setData(data);
  };
  /** Our overlays ride on every style (setStyle would drop layers added afterwards). */
  const withOverlays = (style: StyleSpecification): StyleSpecification => ({
    ...style,
    sources: {
      ...style.sources,
      ...Object.fromEntries(Object.entries(overlay).map(([id, data]) => [id, { type: 'geojson', data } satisfies SourceSpecification])),
    },
    layers: [...style.layers, ...OVERLAY_LAYERS],
  });

  const markerFor = (hs: Hotspot): HTMLElement => {
    const dot = h('span', { class: 'hotspot-dot', 'aria-hidden': 'true' });
    const label = h('span', { class: 'hotspot-label', 'aria-hidden': 'true' }, display.label(hs.category));
    const m = h('div', { class: 'hotspot', tabindex: 0, role: 'button', 'data-hotspot-id': hs.id }, dot, label);
    m.addEventListener('click', (e) => { e.stopPropagation(); opts.onSelect(hs.id); });
    m.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); opts.onSelect(hs.id); }
    });
    m.addEventListener('mouseenter', () => tooltipAt(markers.get(hs.id)?.hs ?? hs, m));
    m.addEventListener('mouseleave', hideTooltip);
    m.addEventListener('focus', () => tooltipAt(markers.get(hs.id)?.hs ?? hs, m));
    m.addEventListener('blur', hideTooltip);
    return m;
  };

  const renderMarkers = (): void => {
    const seen = new Set<number>();
    for (const hs of current) {
      seen.add(hs.id);
      let entry = markers.get(hs.id);
      if (!entry) {
        const elm = markerFor(hs);
        entry = { marker: new Marker({ element: elm, anchor: 'center' }), el: elm, hs };
        markers.set(hs.id, entry);
      }
      entry.hs = hs;
      // classList, not className: MapLibre's own marker classes (positioning) stay.
      for (const sv of SEVERITIES) entry.el.classList.toggle(`sev-${sv}`, sv === hs.severity);
      entry.el.classList.toggle('is-new', hs.status === 'new');
      entry.el.classList.toggle('is-selected', hs.id === selected);
      entry.el.setAttribute('aria-label', hotspotLabel(hs));
      entry.el.setAttribute('aria-pressed', String(hs.id === selected));
      entry.el.style.zIndex = String(10 + SEVERITY_ORDER[hs.severity]);
      entry.marker.setLngLat([hs.center_lng, hs.center_lat]);
      if (map) entry.marker.addTo(map);
      else if (!entry.el.isConnected) fallbackList.append(entry.el);
    }
    for (const [id, entry] of markers) {
      if (seen.has(id)) continue;
      entry.marker.remove();
      entry.el.remove();
      markers.delete(id);
    }
  };

  // Without WebGL (a locked-down browser) the hotspots stay operable as a list.
  const fallbackList = h('div', { class: 'hotspot-list' });
  try {
    map = new MapLibre({
      container: canvas,
      style: withOverlays(neutralStyle()),
      bounds: demoBounds(),
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      fadeDuration: 0,
    });
    map.keyboard.disableRotation();
    map.touchZoomRotate.disableRotation();
    map.getCanvas().setAttribute('aria-label', 'Map of the organisation\'s area; hotspots are listed as buttons on it.');
    map.on('mousemove', 'hw-hotspot-fill', (e) => {
      const id = Number(e.features?.[0]?.properties?.id);
      const hs = markers.get(id)?.hs;
      if (hs) showTooltip(hs, e.point.x, e.point.y);
    });
    map.on('mouseleave', 'hw-hotspot-fill', hideTooltip);
    map.on('click', 'hw-hotspot-fill', (e) => {
      const id = Number(e.features?.[0]?.properties?.id);
      if (Number.isFinite(id)) opts.onSelect(id);
    });
    // A basemap that fails (tile server down, or a style chosen after this page loaded, whose
    // origins its Content-Security-Policy does not name yet) is said, not just logged.
    map.on('error', (e) => {
      note.textContent = `The basemap could not be loaded (${e.error?.message ?? 'unknown error'}). If an admin just changed it, reload the page.`;
    });
    new ResizeObserver(() => map?.resize()).observe(canvas);
  } catch (e) {
    map = null;
    note.textContent = `This browser cannot draw the map (${e instanceof Error ? e.message : 'WebGL is unavailable'}); the hotspots are listed instead.`;
    canvas.replaceWith(fallbackList);
  }

  const setLabels = (labels: Array<{ text: string; at: [number, number]; kind: string }>): void => {
    labelMarkers.forEach((m) => m.remove());
    if (!map) return;
    labelMarkers = labels.map((l) => new Marker({
      element: h('div', { class: `map-label map-label-${l.kind}`, 'aria-hidden': 'true', 'data-lng': l.at[0], 'data-lat': l.at[1] }, l.text),
      anchor: 'center',
    }).setLngLat(l.at).addTo(map!));
  };

  const showSettings = async (s: OrgMap, demo: boolean): Promise<void> => {
    // The demo org without districts of its own shows the generated city's.
    const demoCity = demo && s.districts.length === 0;
    const districts: District[] = demoCity ? demoDistricts() : s.districts;
    setData('hw-districts', { type: 'FeatureCollection', features: districts.map((d) => ({ type: 'Feature', properties: { name: d.name }, geometry: d.geometry })) });
    setData('hw-area', s.area ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: s.area }] } : EMPTY);
    setLabels([
      ...districts.map((d) => ({ text: d.name, at: d.label ?? labelPoint(d.geometry), kind: 'district' })),
      ...(demo && s.basemap.kind === 'none' ? demoLabels() : []),
    ]);
    home = s.area ? boundsOf(positions(s.area))
      : demoCity ? new LngLatBounds(...demoBounds())
        : districts.length > 0 ? boundsOf(districts.flatMap((d) => [...positions(d.geometry)])) : null;

    let style: StyleSpecification | string;
    let what: string;
    if (s.basemap.kind === 'style') {
      style = s.basemap.url;
      what = `Basemap: the style at ${new URL(s.basemap.url).host}.`;
    } else if (s.basemap.kind === 'pmtiles') {
      const info = await openArchive(opts.mapApi.archiveUrl(s.basemap.path), () => opts.mapApi.authHeaders());
      style = archiveStyle(info);
      home ??= new LngLatBounds([info.bounds[0], info.bounds[1]], [info.bounds[2], info.bounds[3]]);
      what = `Basemap: ${s.basemap.path.split('/').pop()} (uploaded tiles).`;
    } else {
      style = demo ? demoStyle() : neutralStyle();
      what = demo ? 'Basemap: the demo city (generated).'
        : home ? 'No basemap configured: the area and districts on a plain background. An admin can add one in Settings.'
          : 'No basemap, area or districts configured yet: an admin sets them in Settings.';
    }
    note.textContent = what;
    if (!map || stopped) return;
    map.setStyle(style, { diff: false, transformStyle: (_prev, next) => withOverlays(next) });
    fitHome(false);
  };

  const load = (): void => {
    Promise.all([opts.mapApi.orgMap(opts.orgId), opts.isDemo])
      .then(([s, demo]) => showSettings(s, demo))
      .catch((e: unknown) => { note.textContent = `The map settings could not be loaded: ${e instanceof Error ? e.message : String(e)}`; });
  };
  load();
  const unfollow = opts.mapApi.onOrgMapChange(opts.orgId, load);

  const render = (): void => {
    setData('hw-hotspots', hotspotFeatures(current, selected));
    renderMarkers();
    // No area or districts to frame: frame the first hotspots once, then leave the view to the user.
    if (!home && !framedHotspots && current.length > 0) { fitHome(false); framedHotspots = true; }
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
      setData('hw-hotspots', hotspotFeatures(current, selected));
      for (const [hid, { el: m }] of markers) {
        m.classList.toggle('is-selected', hid === id);
        m.setAttribute('aria-pressed', String(hid === id));
      }
    },
    stop() {
      stopped = true;
      unfollow();
      map?.remove();
      map = null;
    },
  };
}
