/**
 * Active silences, on the board for every member (issue 24: "the dashboard shows active
 * silences"): notifications matching one are recorded as silenced, not sent. Admins and
 * operators create one (category, district, minimum severity, start, end, reason) and
 * end a running one early; both are REST writes that RLS allows only to them. The list
 * reloads every minute so a silence that ran out leaves it.
 */
import { h, replace } from './dom.ts';
import { display } from './org-display.ts';
import { formatTime, localInput } from './format.ts';
import { SEVERITIES, type NotificationsApi, type Silence } from './notifications-api.ts';
import { pageActions, type Act } from './page-actions.ts';
import type { Severity } from './types.ts';

const RELOAD_MS = 60_000;

function describe(s: Silence): string {
  const what = [s.category ? display.phrase(s.category) : 'every category', s.district ? `in ${s.district}` : null, s.min_severity ? `${s.min_severity} and above` : null]
    .filter(Boolean).join(', ');
  return `${what}: ${s.reason}`;
}

export function createSilences(ctx: { api: NotificationsApi; orgId: string; canEdit: boolean }): { el: HTMLElement; refresh(): void; stop(): void } {
  const { api, orgId } = ctx;
  const list = h('ul', { class: 'silence-list' });
  const empty = h('p', { class: 'muted small' }, 'No active silences: every routed notification is sent.');
  const count = h('span', { class: 'count' });
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'silence-status' });
  const failure = h('p', { class: 'notice notice-error', role: 'alert', id: 'silence-error' });

  const { act, fail } = pageActions(status, failure, () => load());

  const item = (s: Silence): HTMLLIElement => {
    const started = Date.parse(s.starts_at) <= Date.now();
    const when = started ? `until ${display.time(s.ends_at)}` : `from ${display.time(s.starts_at)} to ${display.time(s.ends_at)}`;
    let end: HTMLButtonElement | null = null;
    // A scheduled silence cannot end before it starts (ends_at > starts_at); it runs its course.
    if (ctx.canEdit && started) {
      const button = h('button', { type: 'button', class: 'btn' }, 'End now');
      button.setAttribute('aria-label', `End now: the silence "${s.reason}"`);
      button.addEventListener('click', () => void act(button, async () => {
        await api.endSilence(s.id);
        return `Ended the silence "${s.reason}".`;
      }));
      end = button;
    }
    return h('li', { 'data-silence-id': s.id },
      h('span', { class: started ? 'silence-state active' : 'silence-state' }, started ? 'Active' : 'Scheduled'), ' ',
      h('span', {}, describe(s)), ' ', h('span', { class: 'muted small' }, when), end ? ' ' : null, end);
  };

  async function load(): Promise<void> {
    try {
      const rows = await api.silences(orgId);
      replace(list, ...rows.map(item));
      empty.hidden = rows.length > 0;
      count.textContent = rows.length > 0 ? ` (${rows.length})` : '';
    } catch (e) {
      fail(e);
    }
  }

  const el = h('section', { class: 'panel silences', 'aria-labelledby': 'silences-title' },
    h('h2', { id: 'silences-title' }, 'Silences', count), status, failure, list, empty,
    ctx.canEdit ? silenceForm(api, orgId, act) : null);
  void load();
  const timer = window.setInterval(() => void load(), RELOAD_MS);
  return { el, refresh: () => void load(), stop: () => window.clearInterval(timer) };
}

function silenceForm(api: NotificationsApi, orgId: string, act: Act): HTMLElement {
  const now = new Date();
  const category = h('input', { id: 'silence-category', type: 'text', maxlength: 100, placeholder: 'any' });
  const district = h('input', { id: 'silence-district', type: 'text', maxlength: 500, placeholder: 'any' });
  const severity = h('select', { id: 'silence-severity' }, h('option', { value: '' }, 'any'), ...SEVERITIES.map((s) => h('option', { value: s }, `${s} and above`)));
  const starts = h('input', { id: 'silence-starts', type: 'datetime-local', required: true, value: localInput(now) });
  const ends = h('input', { id: 'silence-ends', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() + 3_600_000)) });
  const reason = h('input', { id: 'silence-reason', type: 'text', required: true, maxlength: 2000 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create silence');
  const form = h('form', { class: 'invite-form silence-form', 'aria-labelledby': 'silence-form-title' },
    h('h3', { id: 'silence-form-title' }, 'New silence'),
    h('label', { for: 'silence-category' }, 'Category'), category,
    h('label', { for: 'silence-district' }, 'District'), district,
    h('label', { for: 'silence-severity' }, 'Minimum severity'), severity,
    h('label', { for: 'silence-starts' }, 'Starts'), starts,
    h('label', { for: 'silence-ends' }, 'Ends'), ends,
    h('label', { for: 'silence-reason' }, 'Reason'), reason,
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, async () => {
      const start = new Date(starts.value);
      const end = new Date(ends.value);
      if (!(end > start)) throw new Error('The silence must end after it starts.');
      // A start in the current minute means now, not the minute's first second.
      const startsAt = start.getTime() <= Date.now() ? new Date() : start;
      await api.createSilence(orgId, {
        category: category.value.trim() || null,
        district: district.value.trim() || null,
        min_severity: (severity.value || null) as Severity | null,
        starts_at: startsAt.toISOString(),
        ends_at: end.toISOString(),
        reason: reason.value.trim(),
      });
      reason.value = '';
      return `Silence created until ${display.time(end.toISOString())}.`;
    });
  });
  const wrap = h('details', { class: 'silence-new' }, h('summary', {}, 'New silence…'), form);
  return wrap;
}
