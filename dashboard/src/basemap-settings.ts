/**
 * The Settings page's Basemap section (admins): upload a PMTiles archive of the org's
 * city into the `basemaps` Storage bucket (under the org's folder; RLS lets only the
 * org's admins write there) and choose what the map draws under the hotspots — nothing
 * (area and districts on a plain background), an uploaded archive, or a MapLibre style
 * URL. The choice goes through the org-settings function (`map.basemap`, validated and
 * audited there); open dashboards follow it over Realtime.
 */
import type { BasemapSource, MapApi, StoredBasemap } from './map-api.ts';
import { h, replace } from './dom.ts';

function sizeText(n: number | null): string {
  if (n === null) return '';
  return n >= 1024 * 1024 ? ` (${(n / 1024 / 1024).toFixed(1)} MB)` : ` (${Math.max(1, Math.round(n / 1024))} kB)`;
}

export function basemapSettingsView(opts: { api: MapApi; orgId: string }): { el: HTMLElement; stop(): void } {
  const { api, orgId } = opts;
  let stopped = false;
  const status = h('p', { class: 'small', role: 'status', 'aria-live': 'polite', 'data-basemap-status': '' });
  const error = h('p', { class: 'error small', role: 'alert', 'data-basemap-error': '' });
  const say = (text: string): void => { error.textContent = ''; status.textContent = text; };
  const fail = (e: unknown): void => { status.textContent = ''; error.textContent = e instanceof Error ? e.message : String(e); };

  const radio = (value: BasemapSource['kind'], label: string): { input: HTMLInputElement; el: HTMLElement } => {
    const input = h('input', { type: 'radio', name: 'basemap-kind', value, id: `basemap-kind-${value}` });
    return { input, el: h('div', { class: 'radio' }, input, h('label', { for: `basemap-kind-${value}` }, label)) };
  };
  const none = radio('none', 'None: the area and districts on a plain background');
  const pmtiles = radio('pmtiles', 'An uploaded PMTiles file');
  const style = radio('style', 'A MapLibre style URL');
  const archives = h('select', { id: 'basemap-archive', 'aria-label': 'Uploaded PMTiles file' });
  const styleUrl = h('input', { type: 'url', id: 'basemap-style-url', placeholder: 'https://tiles.example.org/style.json', 'aria-label': 'Style URL' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Use this basemap');
  const form = h('form', { class: 'basemap-form' },
    h('fieldset', {},
      h('legend', {}, 'Basemap under the hotspots'),
      none.el, pmtiles.el, h('div', { class: 'indent' }, archives), style.el, h('div', { class: 'indent' }, styleUrl)),
    save);

  const file = h('input', { type: 'file', id: 'basemap-file', accept: '.pmtiles' });
  const upload = h('button', { type: 'submit', class: 'btn' }, 'Upload');
  const uploadForm = h('form', { class: 'basemap-upload' },
    h('label', { for: 'basemap-file' }, 'Upload a PMTiles file of your area (at most 50 MB)'), file, upload);

  const showArchives = (list: StoredBasemap[], chosen?: string): void => {
    replace(archives, ...(list.length === 0
      ? [h('option', { value: '' }, 'No file uploaded yet')]
      : list.map((a) => {
        const o = h('option', { value: a.path }, `${a.name}${sizeText(a.size)}`);
        o.selected = a.path === chosen;
        return o;
      })));
  };

  const load = async (): Promise<void> => {
    const [settings, list] = await Promise.all([api.orgMap(orgId), api.listBasemaps(orgId)]);
    if (stopped) return;
    const b = settings.basemap;
    showArchives(list, b.kind === 'pmtiles' ? b.path : undefined);
    ({ none, pmtiles, style })[b.kind].input.checked = true;
    if (b.kind === 'style') styleUrl.value = b.url;
  };

  uploadForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return fail('Choose a .pmtiles file first.');
    upload.disabled = true;
    say(`Uploading ${f.name}…`);
    api.uploadBasemap(orgId, f)
      .then(async (path) => {
        showArchives(await api.listBasemaps(orgId), path);
        pmtiles.input.checked = true;
        say(`Uploaded ${f.name}. Choose "Use this basemap" to show it on the map.`);
      })
      .catch(fail)
      .finally(() => { upload.disabled = false; });
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const kind = [none, pmtiles, style].find((r) => r.input.checked)?.input.value;
    const source: BasemapSource | null = kind === 'none' ? { kind: 'none' }
      : kind === 'pmtiles' && archives.value ? { kind: 'pmtiles', path: archives.value }
        : kind === 'style' ? { kind: 'style', url: styleUrl.value.trim() } : null;
    if (!source) return fail(kind === 'pmtiles' ? 'Upload a PMTiles file first.' : 'Choose a basemap.');
    save.disabled = true;
    api.setBasemap(orgId, source)
      .then(() => say('Basemap saved. Open dashboards of the organisation redraw their map.'))
      .catch(fail)
      .finally(() => { save.disabled = false; });
  });

  load().catch(fail);
  const el = h('section', { class: 'panel admin-page basemap-settings', 'aria-labelledby': 'basemap-title' },
    h('h3', { id: 'basemap-title' }, 'Basemap'),
    h('p', {}, 'The streets under the hotspots. A PMTiles file uploaded here is served from your own project, so the map works without internet.'),
    uploadForm, form, status, error);
  return { el, stop: () => { stopped = true; } };
}
