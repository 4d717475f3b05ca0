/**
 * The Playbooks admin page: the org's own playbooks (create, edit, retire, restore)
 * and the shared global ones (read-only; hide or show for this org). Every change goes
 * through the playbooks edge function; the lists reload when Realtime reports a
 * change, so two admins' open pages follow each other.
 *
 * Accessible by construction: a labelled form (severities a fieldset), field errors
 * tied to their control (aria-invalid + aria-describedby) with an error summary that
 * links to them, results announced in a polite live region, and buttons named for the
 * playbook they act on.
 */
import { ValidationError, type PlaybookRecord } from '@hotwatch/client';
import type { DashboardApi, PlaybookCatalogue } from './api.ts';
import { h, replace } from './dom.ts';
import { errorMessage } from './errors.ts';
import {
  EMPTY_FORM, fieldOfError, fieldsFromForm, FORM_FIELDS, formFromPlaybook, SEVERITIES, type FormField, type FormValues,
} from './playbook-form.ts';

const LABELS: Record<FormField, string> = {
  title: 'Title', category: 'Category', severities: 'Severities', tags: 'Tags (comma-separated)',
  summary: 'Summary', body: 'Body', steps: 'Steps (one per line)',
};

export function playbooksPage(api: DashboardApi, orgId: string): { el: HTMLElement; focusTarget: HTMLElement; stop(): void } {
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const ownList = h('ul', { class: 'pb-list', 'aria-labelledby': 'pb-own-title' });
  const sharedList = h('ul', { class: 'pb-list', 'aria-labelledby': 'pb-shared-title' });
  const formSlot = h('div', { class: 'pb-form-slot' });
  const newButton = h('button', { type: 'button', class: 'btn btn-primary', id: 'pb-new' }, 'New playbook');
  let catalogue: PlaybookCatalogue = { own: [], shared: [], hidden: new Set() };

  const load = async (): Promise<void> => {
    try {
      catalogue = await api.playbookCatalogue(orgId);
      render();
    } catch (e) {
      status.textContent = `Could not load the playbooks: ${errorMessage(e)}`;
    }
  };

  const act = async (what: string, run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
      status.textContent = what;
      await load();
    } catch (e) {
      status.textContent = errorMessage(e);
    }
  };

  const render = (): void => {
    replace(ownList, ...(catalogue.own.length === 0
      ? [h('li', { class: 'muted' }, 'No playbooks of your own yet.')]
      : catalogue.own.map((p) => h('li', { class: 'pb-item', 'data-playbook-id': p.id, 'data-status': p.status },
        h('h4', {}, p.title, p.status === 'retired' ? h('span', { class: 'badge' }, ' (retired)') : null),
        h('p', { class: 'muted small' }, `${p.category} · ${p.severities.join(', ')}${p.tags.length ? ` · ${p.tags.join(', ')}` : ''}`),
        h('p', { class: 'small' }, p.summary),
        h('div', { class: 'pb-actions' },
          h('button', { type: 'button', class: 'btn', 'aria-label': `Edit ${p.title}`, onclick: () => openForm(p) }, 'Edit'),
          p.status === 'active'
            ? h('button', { type: 'button', class: 'btn', 'aria-label': `Retire ${p.title}`, onclick: () => act(`Retired "${p.title}".`, () => api.managePlaybook({ action: 'retire', id: p.id })) }, 'Retire')
            : h('button', { type: 'button', class: 'btn', 'aria-label': `Restore ${p.title}`, onclick: () => act(`Restored "${p.title}".`, () => api.managePlaybook({ action: 'restore', id: p.id })) }, 'Restore'))))));
    replace(sharedList, ...catalogue.shared.map((p) => {
      const hidden = catalogue.hidden.has(p.id);
      return h('li', { class: 'pb-item', 'data-playbook-id': p.id, 'data-hidden': String(hidden) },
        h('h4', {}, p.title, hidden ? h('span', { class: 'badge' }, ' (hidden)') : null),
        h('p', { class: 'muted small' }, `${p.category} · ${p.severities.join(', ')}`),
        h('div', { class: 'pb-actions' },
          h('button', {
            type: 'button', class: 'btn', 'aria-label': `${hidden ? 'Show' : 'Hide'} ${p.title}`,
            onclick: () => act(`${hidden ? 'Showing' : 'Hid'} "${p.title}" ${hidden ? 'again' : 'for your organisation'}.`,
              () => api.managePlaybook({ action: hidden ? 'unhide' : 'hide', org_id: orgId, playbook_id: p.id })),
          }, hidden ? 'Show' : 'Hide')));
    }));
  };

  /** The create/edit form; `editing` null for a new playbook. */
  const openForm = (editing: PlaybookRecord | null): void => {
    const v: FormValues = editing ? formFromPlaybook(editing) : { ...EMPTY_FORM, severities: [...SEVERITIES] };
    const errors = new Map<FormField, HTMLElement>();
    const controls = new Map<FormField, HTMLElement>();
    const field = (f: FormField, control: HTMLElement): HTMLElement => {
      const err = h('p', { class: 'field-error', id: `pb-${f}-error`, hidden: true });
      errors.set(f, err);
      controls.set(f, control);
      return h('div', { class: 'field' }, h('label', { for: `pb-${f}` }, LABELS[f]), control, err);
    };
    const input = (f: 'title' | 'category' | 'tags') => h('input', { id: `pb-${f}`, name: f, type: 'text', value: v[f], ...(f !== 'tags' ? { required: true } : {}) });
    const area = (f: 'summary' | 'body' | 'steps', rows: number) => {
      const t = h('textarea', { id: `pb-${f}`, name: f, rows, required: true });
      t.value = v[f];
      return t;
    };
    const sevErr = h('p', { class: 'field-error', id: 'pb-severities-error', hidden: true });
    errors.set('severities', sevErr);
    const severities = h('fieldset', { class: 'field', id: 'pb-severities' },
      h('legend', {}, LABELS.severities),
      ...SEVERITIES.map((s) => {
        const box = h('input', { type: 'checkbox', id: `pb-sev-${s}`, name: 'severities', value: s });
        box.checked = v.severities.includes(s);
        return h('label', { class: 'check', for: `pb-sev-${s}` }, box, ` ${s}`);
      }),
      sevErr);
    controls.set('severities', severities);
    const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true });
    const heading = h('h3', { id: 'pb-form-title', tabindex: -1 }, editing ? `Edit "${editing.title}"` : 'New playbook');
    const form = h('form', { class: 'pb-form', 'aria-labelledby': 'pb-form-title', novalidate: true },
      heading, summary,
      field('title', input('title')), field('category', input('category')), severities, field('tags', input('tags')),
      field('summary', area('summary', 2)), field('body', area('body', 5)), field('steps', area('steps', 5)),
      h('div', { class: 'pb-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? 'Save changes' : 'Create playbook'),
        h('button', { type: 'button', class: 'btn', onclick: () => closeForm() }, 'Cancel')));

    const showErrors = (list: ReadonlyArray<{ path: string; message: string }>): void => {
      for (const f of FORM_FIELDS) {
        errors.get(f)!.hidden = true;
        controls.get(f)!.removeAttribute('aria-invalid');
        controls.get(f)!.removeAttribute('aria-describedby');
      }
      const items: HTMLElement[] = [];
      for (const e of list) {
        const f = fieldOfError(e.path);
        if (f) {
          const err = errors.get(f)!;
          err.textContent = e.message;
          err.hidden = false;
          if (f !== 'severities') controls.get(f)!.setAttribute('aria-invalid', 'true');
          controls.get(f)!.setAttribute('aria-describedby', err.id);
        }
        items.push(h('li', {}, f ? h('a', { href: `#pb-${f === 'severities' ? 'sev-low' : f}` }, `${LABELS[f]}: ${e.message}`) : e.message));
      }
      replace(summary, h('p', {}, 'Please correct:'), h('ul', {}, ...items));
      summary.hidden = list.length === 0;
      if (list.length) summary.focus();
    };

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const values: FormValues = {
        title: String(data.get('title') ?? ''), category: String(data.get('category') ?? ''),
        severities: SEVERITIES.filter((s) => data.getAll('severities').includes(s)),
        tags: String(data.get('tags') ?? ''), summary: String(data.get('summary') ?? ''),
        body: String(data.get('body') ?? ''), steps: String(data.get('steps') ?? ''),
      };
      const fields = fieldsFromForm(values);
      const run = editing
        ? api.managePlaybook({ action: 'update', id: editing.id, playbook: fields })
        : api.managePlaybook({ action: 'create', org_id: orgId, playbook: fields });
      run.then(async () => {
        closeForm();
        status.textContent = editing ? `Saved "${fields.title}".` : `Created "${fields.title}".`;
        await load();
      }, (e: unknown) => {
        if (e instanceof ValidationError && e.fieldErrors.length) showErrors(e.fieldErrors);
        else showErrors([{ path: '', message: errorMessage(e) }]);
      });
    });
    replace(formSlot, form);
    newButton.hidden = true;
    heading.focus();
  };

  const closeForm = (): void => {
    replace(formSlot);
    newButton.hidden = false;
    newButton.focus();
  };
  newButton.addEventListener('click', () => openForm(null));

  const heading = h('h2', { id: 'admin-title', tabindex: -1 }, 'Playbooks');
  const el = h('section', { class: 'panel admin-page', 'aria-labelledby': 'admin-title', 'data-admin-page': 'playbooks' },
    heading,
    h('p', {}, 'Recommendations cite these playbooks. Write your organisation\'s own; the shared ones are read-only, but you can hide them for your organisation. Retired playbooks are never recommended again; past recommendations still cite them.'),
    status,
    h('section', { 'aria-labelledby': 'pb-own-title' },
      h('div', { class: 'panel-head' }, h('h3', { id: 'pb-own-title' }, 'Your playbooks'), newButton),
      formSlot, ownList),
    h('section', { 'aria-labelledby': 'pb-shared-title' }, h('h3', { id: 'pb-shared-title' }, 'Shared playbooks'), sharedList));

  void load();
  const unsubscribe = api.onPlaybooksChange(() => void load());
  return { el, focusTarget: heading, stop: unsubscribe };
}
