/**
 * The Settings admin page: the org's time zone, categories (key, label, colour,
 * enabled), scan thresholds, monitored area and districts (GeoJSON, uploaded or
 * pasted). Each section saves on its own through the `org-settings` edge function (a
 * partial update: only that field changes; the function checks the admin role, the
 * values and the GeoJSON, and writes the audit log). A refused save changes nothing:
 * the function's field errors (`details.errors[].path`) appear beside the control they
 * name (aria-invalid, aria-describedby) and in an error summary that takes focus and
 * links to them; the form keeps what was typed. Results are said in a polite status
 * region. Another admin's change (Realtime) redraws the sections without unsaved edits. A container for the Feed keys section (feed-keys.ts) closes the page.
 */
import { h, replace } from './dom.ts';
import { ApiError } from './api.ts';
import { errorMessage } from './errors.ts';
import { formatTime } from './format.ts';
import type { CategorySetting, OrgSettings, SettingsApi, SettingsUpdate } from './settings-api.ts';
import {
  areaFromText, districtsFromText, fieldForPath, SCAN_NUMBERS, scanFromForm, scanValue, timeZoneNames, type Parsed,
} from './settings-form.ts';
import type { Severity } from './types.ts';

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
/** The page's sections, each saving one settings field. */
const SECTIONS = ['time_zone', 'categories', 'scan', 'retention_days', 'area', 'districts'] as const;
type Section = (typeof SECTIONS)[number];
type FieldError = { path: string; message: string };

/** A control and the message slot beside it, registered under the field path the server uses. */
interface Field { control: HTMLElement; error: HTMLElement; label: string }

const idOf = (path: string): string => `set-${path.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '')}`;
const FORM_CONTROL = new Set(['INPUT', 'SELECT', 'TEXTAREA']);

/** Vertices of a Polygon/MultiPolygon as stored (for the "current area" line). */
function vertexCount(geometry: unknown): number {
  const walk = (v: unknown): number => (Array.isArray(v) ? (typeof v[0] === 'number' ? 1 : v.reduce((n: number, x) => n + walk(x), 0)) : 0);
  return geometry && typeof geometry === 'object' ? walk((geometry as { coordinates?: unknown }).coordinates) : 0;
}

export function settingsPage(ctx: { api: SettingsApi; orgId: string; orgName: string }): {
  el: HTMLElement; focusTarget: HTMLElement; stop(): void;
} {
  const { api, orgId } = ctx;
  const fields = new Map<string, Field>();
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'settings-status' });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true, id: 'settings-errors' });
  const body = h('div', { class: 'settings-body' }, h('p', { class: 'muted' }, 'Loading the settings…'));
  let current: OrgSettings | null = null;
  /** The area's cell count, known from the function's answer (the REST row does not carry the cells). */
  let areaCells: number | null = null;

  /** Register a control under its field path; returns the labelled block. */
  const field = (path: string, label: string, control: HTMLElement, hint?: string | HTMLElement): HTMLElement => {
    const error = h('p', { class: 'field-error', id: `${idOf(path)}-error`, hidden: true });
    fields.set(path, { control, error, label });
    const hintEl = hint === undefined ? null : typeof hint === 'string' ? h('p', { class: 'muted small', id: `${idOf(path)}-hint` }, hint) : hint;
    if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
    return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl, error);
  };

  const clearErrors = (): void => {
    for (const f of fields.values()) {
      f.error.hidden = true;
      f.error.textContent = '';
      f.control.removeAttribute('aria-invalid');
      const described = (f.control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== f.error.id);
      if (described.length) f.control.setAttribute('aria-describedby', described.join(' '));
      else f.control.removeAttribute('aria-describedby');
    }
    summary.hidden = true;
    replace(summary);
  };

  /** Show errors beside their controls and in the summary (focused); nothing was saved. */
  const showErrors = (list: readonly FieldError[]): void => {
    clearErrors();
    const items: HTMLElement[] = [];
    for (const e of list) {
      const key = fieldForPath(e.path, [...fields.keys()]);
      const f = key ? fields.get(key) : undefined;
      // A nested path (area.coordinates[0][3]) says where inside the field the problem is.
      const where = key && e.path !== key ? ` (at ${e.path.slice(key.length).replace(/^\./, '')})` : '';
      if (f) {
        f.error.textContent = [f.error.textContent, `${e.message}${where}`].filter(Boolean).join(' ');
        f.error.hidden = false;
        if (FORM_CONTROL.has(f.control.tagName)) f.control.setAttribute('aria-invalid', 'true');
        const described = (f.control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
        f.control.setAttribute('aria-describedby', [...new Set([...described, f.error.id])].join(' '));
      }
      items.push(h('li', {}, f
        ? h('a', { href: `#${f.control.id}`, onclick: (ev: Event) => { ev.preventDefault(); f.control.focus(); } }, `${f.label}: ${e.message}${where}`)
        : e.path ? `${e.path}: ${e.message}` : e.message));
    }
    replace(summary, h('p', {}, 'Nothing was saved. Please correct:'), h('ul', {}, ...items));
    summary.hidden = false;
    summary.focus();
  };

  /**
   * Send one section's partial update; on success redraw that section from the answer
   * (other sections keep what is being typed in them) and say what changed.
   */
  const save = async (section: Section, button: HTMLButtonElement, fieldsToSend: SettingsUpdate, said: (s: OrgSettings) => string): Promise<void> => {
    clearErrors();
    button.disabled = true;
    status.textContent = 'Saving…';
    try {
      const r = await api.update(orgId, fieldsToSend);
      current = { ...(current as OrgSettings), ...(r as unknown as OrgSettings) };
      areaCells = r.area_cell_count;
      status.textContent = said(current);
      redraw(section);
    } catch (e) {
      status.textContent = '';
      showErrors(e instanceof ApiError && e.fields.length ? e.fields : [{ path: '', message: errorMessage(e) }]);
    } finally {
      button.disabled = false;
    }
  };

  // ── sections ────────────────────────────────────────────────────────────────
  const timeZoneSection = (s: OrgSettings): HTMLElement => {
    const names = timeZoneNames(typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []);
    const input = h('input', { id: 'set-time-zone', name: 'time_zone', type: 'text', list: 'set-time-zone-list', autocomplete: 'off', spellcheck: 'false', value: s.time_zone });
    const list = h('datalist', { id: 'set-time-zone-list' }, ...names.map((n) => h('option', { value: n })));
    const hint = h('p', { class: 'muted small', id: 'set-time-zone-hint' },
      `Type to search the IANA names (e.g. Europe/Amsterdam). The board and alert texts show times on this clock; now it reads ${formatTime(new Date().toISOString(), s.time_zone)}.`);
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save time zone');
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-tz-title', novalidate: true },
      h('h3', { id: 'set-tz-title' }, 'Time zone'), field('time_zone', 'Time zone (IANA name)', input, hint), list, button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const tz = input.value.trim();
      void save('time_zone', button, { time_zone: tz }, (n) => `Saved the time zone: ${n.time_zone}. It is now ${formatTime(new Date().toISOString(), n.time_zone)}.`);
    });
    return form;
  };

  const categoriesSection = (s: OrgSettings): HTMLElement => {
    const rowsEl = h('tbody');
    type Row = { key: HTMLInputElement; label: HTMLInputElement; colour: HTMLInputElement; enabled: HTMLInputElement };
    const rows: Row[] = [];
    const cell = (path: string, label: string, control: HTMLInputElement): HTMLElement => {
      const error = h('p', { class: 'field-error', id: `${idOf(path)}-error`, hidden: true });
      fields.set(path, { control, error, label });
      control.setAttribute('aria-label', label);
      return h('td', {}, control, error);
    };
    const addRow = (c: CategorySetting | null): Row => {
      const i = rows.length;
      const name = c ? `"${c.key}"` : `new category ${i + 1}`;
      const r: Row = {
        key: h('input', { id: idOf(`categories[${i}].key`), type: 'text', value: c?.key ?? '', readonly: c !== null, size: 14, spellcheck: 'false' }),
        label: h('input', { id: idOf(`categories[${i}].label`), type: 'text', value: c?.label ?? '', size: 20 }),
        colour: h('input', { id: idOf(`categories[${i}].colour`), type: 'color', value: c?.colour ?? '#4b5563' }),
        enabled: h('input', { id: idOf(`categories[${i}].enabled`), type: 'checkbox' }),
      };
      r.enabled.checked = c?.enabled ?? true;
      rows.push(r);
      rowsEl.append(h('tr', { 'data-category': c?.key ?? '' },
        cell(`categories[${i}].key`, `Key of ${name}`, r.key),
        cell(`categories[${i}].label`, `Label of ${name}`, r.label),
        cell(`categories[${i}].colour`, `Colour of ${name}`, r.colour),
        cell(`categories[${i}].enabled`, `${name} enabled`, r.enabled)));
      return r;
    };
    s.categories.forEach((c) => addRow(c));
    const add = h('button', { type: 'button', class: 'btn' }, 'Add category');
    add.addEventListener('click', () => addRow(null).key.focus());
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save categories');
    const groupError = h('p', { class: 'field-error', id: 'set-categories-error', hidden: true });
    const table = h('table', { class: 'team-table settings-table', id: 'set-categories' },
      h('caption', {}, 'Categories'),
      h('thead', {}, h('tr', {}, ...['Key', 'Label', 'Colour', 'Enabled'].map((t) => h('th', { scope: 'col' }, t)))),
      rowsEl);
    table.setAttribute('tabindex', '-1');
    fields.set('categories', { control: table, error: groupError, label: 'Categories' });
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-cat-title', novalidate: true },
      h('h3', { id: 'set-cat-title' }, 'Categories'),
      h('p', { class: 'muted small' }, 'The key is the events\' category value and cannot change; the label is how the board and alert texts name it (lowercase, as mid-sentence). Untick Enabled to stop scanning a category; its events are still stored.'),
      table, groupError, h('div', { class: 'pb-actions' }, add, button));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const categories = rows.map((r) => ({ key: r.key.value.trim(), label: r.label.value.trim(), colour: r.colour.value, enabled: r.enabled.checked }));
      void save('categories', button, { categories }, (n) => `Saved ${n.categories.length} categories (${n.categories.filter((c) => c.enabled).length} enabled).`);
    });
    return form;
  };

  const scanSection = (s: OrgSettings): HTMLElement => {
    const scheduled = h('input', { id: 'set-scan-scheduled', type: 'checkbox' });
    scheduled.checked = s.scan.scheduled;
    const fire = h('select', { id: 'set-scan-fire-immediately-at' }, ...SEVERITIES.map((sv) => {
      const o = h('option', { value: sv }, sv);
      o.selected = sv === s.scan.fire_immediately_at;
      return o;
    }));
    const numbers = new Map<string, HTMLInputElement>();
    const numberField = (n: (typeof SCAN_NUMBERS)[number]): HTMLElement => {
      const input = h('input', { id: idOf(`scan.${n.path}`), type: 'number', inputmode: 'decimal', min: n.min, max: n.max, step: n.step, value: String(scanValue(s.scan, n.path) ?? '') });
      numbers.set(n.path, input);
      return field(`scan.${n.path}`, n.label, input);
    };
    const plain = SCAN_NUMBERS.filter((n) => !n.path.startsWith('severity_days.'));
    const tiersError = h('p', { class: 'field-error', id: 'set-scan-severity-days-error', hidden: true });
    const tiers = h('fieldset', { class: 'field', id: 'set-scan-severity-days', tabindex: -1 },
      h('legend', {}, 'Severity tiers (how rare a cluster must be)'),
      ...SCAN_NUMBERS.filter((n) => n.path.startsWith('severity_days.')).map(numberField), tiersError);
    fields.set('scan.severity_days', { control: tiers, error: tiersError, label: 'Severity tiers' });
    const scheduledField = h('div', { class: 'field check-field' }, h('label', { class: 'check', for: 'set-scan-scheduled' }, scheduled, ' Scan this organisation on the schedule (within a minute of new events)'));
    const scheduledError = h('p', { class: 'field-error', id: 'set-scan-scheduled-error', hidden: true });
    scheduledField.append(scheduledError);
    fields.set('scan.scheduled', { control: scheduled, error: scheduledError, label: 'Scheduled' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save scan settings');
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-scan-title', novalidate: true },
      h('h3', { id: 'set-scan-title' }, 'Scan and alert thresholds'),
      scheduledField,
      ...plain.slice(0, 2).map(numberField),
      tiers,
      // Alerting: fire after N detections this far apart, or at once from a severity.
      ...plain.slice(2, 8).map(numberField),
      field('scan.fire_immediately_at', '… or at once from this severity', fire),
      ...plain.slice(8).map(numberField),
      button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const text = Object.fromEntries([...numbers].map(([p, el]) => [p, el.value]));
      const r = scanFromForm(text, scheduled.checked, fire.value);
      if ('errors' in r) { showErrors(r.errors); return; }
      void save('scan', button, { scan: r.value as SettingsUpdate['scan'] }, () => 'Saved the scan settings; the next scan uses them.');
    });
    return form;
  };

  /** A GeoJSON field: a file chooser that fills a textarea, which can also be pasted into. */
  const retentionSection = (s: OrgSettings): HTMLElement => {
    const forever = h('input', { id: 'set-retention-forever', type: 'checkbox' });
    forever.checked = s.retention_days === null;
    const days = h('input', { id: 'set-retention-days', name: 'retention_days', type: 'number', min: '1', max: '36500', step: '1', value: s.retention_days === null ? '' : String(s.retention_days) });
    days.disabled = forever.checked;
    forever.addEventListener('change', () => { days.disabled = forever.checked; });
    const hint = h('p', { class: 'muted small', id: 'set-retention-hint' },
      'A nightly job deletes raw events older than this (by when they occurred). Hotspots, alerts and the hourly counts the scan learns from are kept.');
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save retention');
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-retention-title', novalidate: true },
      h('h3', { id: 'set-retention-title' }, 'Raw event retention'),
      h('div', { class: 'field check-field' }, h('label', { class: 'check', for: 'set-retention-forever' }, forever, ' Keep raw events forever')),
      field('retention_days', 'Days to keep raw events', days, hint), button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!forever.checked && days.value.trim() === '') {
        showErrors([{ path: 'retention_days', message: 'Enter a number of days, or keep raw events forever.' }]);
        return;
      }
      const value = forever.checked ? null : Number(days.value);
      void save('retention_days', button, { retention_days: value },
        (n) => (n.retention_days === null ? 'Saved: raw events are kept forever.' : `Saved: raw events are kept ${n.retention_days} days.`));
    });
    return form;
  };

  const geoJsonInput = (path: string, rows: number): { file: HTMLInputElement; text: HTMLTextAreaElement } => {
    const text = h('textarea', { id: idOf(path), rows, spellcheck: 'false', class: 'geojson' });
    const file = h('input', { id: `${idOf(path)}-file`, type: 'file', accept: '.geojson,.json,application/geo+json,application/json' });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void f.text().then((t) => { text.value = t; status.textContent = `Read ${f.name} (${t.length.toLocaleString('en')} characters); save to apply it.`; });
    });
    return { file, text };
  };

  const parsedOr = <T>(p: Parsed<T>, path: string): T | null => {
    if ('error' in p) { showErrors([{ path, message: p.error }]); return null; }
    return p.value;
  };

  const areaSection = (s: OrgSettings): HTMLElement => {
    const { file, text } = geoJsonInput('area', 6);
    const currentLine = h('p', { 'data-field': 'area-current' }, s.area
      ? `Monitored area: a ${(s.area as { type?: string }).type ?? 'geometry'} of ${vertexCount(s.area).toLocaleString('en')} vertices${areaCells !== null ? `, ${areaCells.toLocaleString('en')} cells` : ''}. Events outside it are stored and flagged, not scanned.`
      : 'No area: every cell with events is monitored.');
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save area');
    const clear = h('button', { type: 'button', class: 'btn', hidden: !s.area }, 'Remove area');
    clear.addEventListener('click', () => void save('area', clear, { area: null }, () => 'Removed the area: every cell with events is monitored.'));
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-area-title', novalidate: true },
      h('h3', { id: 'set-area-title' }, 'Monitored area'), currentLine,
      h('div', { class: 'field' }, h('label', { for: file.id }, 'Area file (GeoJSON Polygon or MultiPolygon)'), file),
      field('area', 'Area GeoJSON (or paste it here)', text, 'A Polygon or MultiPolygon geometry, or a Feature holding one; at most 10,000 vertices and 50,000 resolution-8 cells.'),
      h('div', { class: 'pb-actions' }, button, clear));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors();
      const area = parsedOr(areaFromText(text.value), 'area');
      if (area === null) return;
      void save('area', button, { area: area as SettingsUpdate['area'] }, () => `Saved the area: ${areaCells?.toLocaleString('en') ?? 'its'} cells are monitored.`);
    });
    return form;
  };

  const districtsSection = (s: OrgSettings): HTMLElement => {
    const { file, text } = geoJsonInput('districts', 6);
    const names = s.districts.map((d) => d.properties.name);
    const currentLine = h('p', { 'data-field': 'districts-current' }, names.length === 0
      ? 'No districts: places are described by coordinates only.'
      : `${names.length} district${names.length === 1 ? '' : 's'}: ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, and ${names.length - 12} more` : ''}.`);
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save districts');
    const form = h('form', { class: 'settings-form', 'aria-labelledby': 'set-districts-title', novalidate: true },
      h('h3', { id: 'set-districts-title' }, 'Districts'), currentLine,
      h('div', { class: 'field' }, h('label', { for: file.id }, 'Districts file (GeoJSON FeatureCollection)'), file),
      field('districts', 'Districts GeoJSON (or paste it here)', text, 'A FeatureCollection of Polygon or MultiPolygon features, each with properties.name; alerts name hotspots by them ("in Kralingen").'),
      button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      clearErrors();
      const districts = parsedOr(districtsFromText(text.value), 'districts');
      if (districts === null) return;
      void save('districts', button, { districts: districts as SettingsUpdate['districts'] }, (n) => `Saved ${n.districts.length} districts.`);
    });
    return form;
  };

  // Feed keys (issue 21 part 3) are their own module (feed-keys.ts); it mounts here.
  const feedKeys = h('section', { class: 'settings-feed-keys', id: 'feed-keys', 'data-slot': 'feed-keys' });

  const build: Record<Section, (s: OrgSettings) => HTMLElement> = {
    time_zone: timeZoneSection, categories: categoriesSection, scan: scanSection, retention_days: retentionSection, area: areaSection, districts: districtsSection,
  };
  const shown = new Map<Section, HTMLElement>();
  /** Sections with unsaved edits: a change made elsewhere does not overwrite them. */
  const dirty = new Set<Section>();
  const built = (sec: Section, s: OrgSettings): HTMLElement => {
    const el = build[sec](s);
    el.addEventListener('input', () => dirty.add(sec));
    dirty.delete(sec);
    return el;
  };
  function render(): void {
    if (!current) return;
    fields.clear();
    for (const sec of SECTIONS) shown.set(sec, built(sec, current));
    replace(body, ...SECTIONS.map((sec) => shown.get(sec)!));
  }
  /** Rebuild one section; after a save, keyboard focus goes to its save button, where it was. */
  function redraw(sec: Section, focus = true): void {
    if (!current) return;
    for (const key of [...fields.keys()]) if (fieldForPath(key, [sec]) === sec) fields.delete(key);
    const next = built(sec, current);
    shown.get(sec)?.replaceWith(next);
    shown.set(sec, next);
    if (focus) next.querySelector<HTMLButtonElement>('button[type="submit"]')?.focus();
  }
  /**
   * Another admin's change (Realtime notice → REST re-read): redraw the sections that
   * have no unsaved edits and do not hold the keyboard focus.
   */
  const follow = (): void => {
    void api.read(orgId).then((s) => {
      if (!current) return;
      current = s;
      for (const sec of SECTIONS) {
        const el = shown.get(sec);
        if (!dirty.has(sec) && el && !el.contains(document.activeElement)) redraw(sec, false);
      }
    }, () => { /* the page keeps what it shows; the next notice retries */ });
  };

  void api.read(orgId).then((s) => { current = s; render(); }, (e: unknown) => {
    replace(body, h('p', { class: 'notice notice-error', role: 'alert' }, `Could not load the settings: ${errorMessage(e)}`));
  });
  const stopFollowing = api.onChange(orgId, follow);

  const heading = h('h2', { id: 'admin-title', tabindex: -1 }, 'Settings');
  const el = h('section', { class: 'panel admin-page settings-page', 'aria-labelledby': 'admin-title', 'data-admin-page': 'settings' },
    heading,
    h('p', { class: 'muted small' }, `Administration of ${ctx.orgName}`),
    h('p', {}, 'Where the organisation watches, how it names places and categories, which clock it reads, and how sensitive the scan is. Each section saves on its own; every change is recorded in the audit log.'),
    status, summary, body, feedKeys);
  return { el, focusTarget: heading, stop: stopFollowing };
}
