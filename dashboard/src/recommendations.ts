/**
 * The recommendations queue: pending playbook actions per alert, with their citations,
 * approve and reject (with a reason); decided ones move to "Recently decided" in every
 * open dashboard as the stream delivers the update.
 */
import type { DashboardApi, PlaybookRef } from './api.ts';
import { h } from './dom.ts';
import { errorMessage } from './errors.ts';
import { formatAgo } from './format.ts';
import { display } from './org-display.ts';
import { keyedList } from './keyed-list.ts';
import type { Alert, Recommendation } from './types.ts';

export interface RecommendationsView {
  el: HTMLElement;
  update(rows: readonly Recommendation[]): void;
  /** Redraw items whose alert title or playbook arrived since. */
  refresh(): void;
}

interface FormState {
  kind: 'approve' | 'reject';
  text: string;
  busy: boolean;
  error: string | null;
}

/** Decided recommendations kept visible. */
const MAX_DECIDED_SHOWN = 20;

type Json = Recommendation['citations'];

/** One line per citation, whatever shape the scan wrote (object with title/slug/section/quote…, or text). */
export function citationLines(citations: Json, playbook: PlaybookRef | undefined): Array<{ title: string; detail: string }> {
  const list = Array.isArray(citations) ? citations : [];
  const out = list.map((c) => {
    if (typeof c === 'string') return { title: playbook?.title ?? 'Playbook', detail: c };
    if (c && typeof c === 'object' && !Array.isArray(c)) {
      const o = c as Record<string, Json | undefined>;
      const str = (k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string) : null);
      const title = str('title') ?? str('playbook_title') ?? playbook?.title ?? str('slug') ?? 'Playbook';
      const section = str('section') ?? str('step') ?? (typeof o.step === 'number' ? `step ${o.step}` : null);
      const quote = str('quote') ?? str('excerpt') ?? str('snippet') ?? str('text') ?? str('summary');
      return { title, detail: [section, quote].filter(Boolean).join(': ') };
    }
    return { title: playbook?.title ?? 'Playbook', detail: '' };
  });
  if (out.length === 0 && playbook) out.push({ title: playbook.title, detail: playbook.summary });
  return out;
}

export function createRecommendations(opts: {
  api: DashboardApi;
  canAct: boolean;
  alert(id: number): Alert | undefined;
  playbook(id: string): PlaybookRef | undefined;
  onSelectAlert(alertId: number): void;
}): RecommendationsView {
  const pendingList = h('ul', { class: 'feed', 'aria-label': 'Pending recommendations' });
  const decidedList = h('ul', { class: 'feed decided', 'aria-label': 'Recently decided recommendations' });
  const count = h('span', { class: 'count' });
  const empty = h('p', { class: 'muted' }, 'No recommendations waiting for a decision.');
  const decidedHead = h('h3', { class: 'subhead' }, 'Recently decided');
  const forms = new Map<number, FormState>();
  let rows: readonly Recommendation[] = [];

  const decide = async (rec: Recommendation, f: FormState): Promise<void> => {
    const reason = f.text.trim();
    if (f.kind === 'reject' && reason === '') {
      f.error = 'A reason is required to reject.';
      draw();
      return;
    }
    f.busy = true;
    f.error = null;
    draw();
    try {
      if (f.kind === 'approve') await opts.api.approve(rec.id, reason || undefined);
      else await opts.api.reject(rec.id, reason);
      forms.delete(rec.id);
    } catch (e) {
      f.busy = false;
      f.error = errorMessage(e);
    }
    draw();
  };

  const openForm = (rec: Recommendation, kind: FormState['kind']): void => {
    forms.set(rec.id, { kind, text: '', busy: false, error: null });
    draw();
    document.querySelector<HTMLTextAreaElement>(`#reason-${rec.id}`)?.focus();
  };

  const renderForm = (rec: Recommendation, f: FormState): HTMLElement => {
    const id = `reason-${rec.id}`;
    const area = h('textarea', { id, rows: 2, 'data-focus-key': 'reason', required: f.kind === 'reject', disabled: f.busy,
      'aria-describedby': f.error ? `${id}-error` : null, 'aria-invalid': f.error ? 'true' : null });
    area.value = f.text;
    area.addEventListener('input', () => { f.text = area.value; });
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { forms.delete(rec.id); draw(); }
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void decide(rec, f);
    });
    // Our own message (role=alert, linked to the field) instead of the browser's bubble.
    return h('form', { class: 'decision-form', novalidate: true, onsubmit: (e: Event) => { e.preventDefault(); void decide(rec, f); } },
      h('label', { for: id }, f.kind === 'approve' ? 'Reason (optional)' : 'Reason for rejecting (required)'),
      area,
      f.error ? h('p', { class: 'error', id: `${id}-error`, role: 'alert' }, f.error) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: `btn ${f.kind === 'approve' ? 'btn-primary' : 'btn-danger'}`, 'data-focus-key': 'confirm', disabled: f.busy },
          f.busy ? 'Sending…' : f.kind === 'approve' ? 'Confirm approval' : 'Confirm rejection'),
        h('button', { type: 'button', class: 'btn', 'data-focus-key': 'cancel', disabled: f.busy, onclick: () => { forms.delete(rec.id); draw(); } }, 'Cancel')));
  };

  const render = (rec: Recommendation): HTMLElement => {
    const pb = opts.playbook(rec.playbook_id);
    const alert = opts.alert(rec.alert_id);
    const f = forms.get(rec.id);
    const decided = rec.status !== 'pending';
    const cites = citationLines(rec.citations, pb);
    return h('li', { class: `feed-item rec-item status-${rec.status}`, 'data-rec-id': rec.id, 'data-status': rec.status },
      h('div', { class: 'item-head' },
        h('span', { class: `badge status-${rec.status}`, 'data-field': 'status' }, rec.status),
        h('span', { class: 'rank', title: `Score ${rec.score.toFixed(2)}` }, `Rank ${rec.rank}`)),
      h('p', { class: 'item-title' }, rec.action),
      h('p', { class: 'meta' }, 'For ',
        h('button', { type: 'button', class: 'link-btn', 'data-focus-key': 'alert', onclick: () => opts.onSelectAlert(rec.alert_id) },
          alert ? alert.title : `alert #${rec.alert_id}`)),
      h('p', { class: 'item-desc' }, rec.rationale),
      cites.length ? h('ul', { class: 'citations', 'aria-label': 'Playbook citations' },
        ...cites.map((c) => h('li', {}, h('cite', {}, c.title), c.detail ? ` — ${c.detail}` : ''))) : null,
      decided
        ? h('p', { class: 'meta decision', 'data-field': 'decision' },
          `${rec.status === 'approved' ? 'Approved' : rec.status === 'rejected' ? 'Rejected' : 'Superseded'}`,
          ...(rec.decided_at ? [' ', h('time', { datetime: rec.decided_at, 'data-field': 'decided-at' }, display.time(rec.decided_at)), ` (${formatAgo(rec.decided_at)})`] : []),
          rec.decision_reason ? ` — “${rec.decision_reason}”` : '')
        : opts.canAct
          ? (f ? renderForm(rec, f) : h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-primary', 'data-focus-key': 'approve', onclick: () => openForm(rec, 'approve') }, 'Approve…'),
            h('button', { type: 'button', class: 'btn', 'data-focus-key': 'reject', onclick: () => openForm(rec, 'reject') }, 'Reject…')))
          : null);
  };

  const stamp = (rec: Recommendation): string => {
    const f = forms.get(rec.id);
    const context = `${opts.alert(rec.alert_id)?.title ?? ''}|${opts.playbook(rec.playbook_id)?.title ?? ''}`;
    return `${rec.version}|${display.version}|${context}|${f ? `${f.kind}:${f.busy}:${f.error ?? ''}` : ''}`;
  };
  const pendingKeyed = keyedList<Recommendation>(pendingList, { key: (r) => r.id, stamp, render });
  const decidedKeyed = keyedList<Recommendation>(decidedList, { key: (r) => r.id, stamp, render });

  function draw(): void {
    const pending = rows.filter((r) => r.status === 'pending')
      .sort((a, b) => b.alert_id - a.alert_id || a.rank - b.rank);
    const decided = rows.filter((r) => r.status === 'approved' || r.status === 'rejected')
      .sort((a, b) => (b.decided_at ?? b.updated_at).localeCompare(a.decided_at ?? a.updated_at))
      .slice(0, MAX_DECIDED_SHOWN);
    pendingKeyed.update(pending);
    decidedKeyed.update(decided);
    count.textContent = `${pending.length} pending`;
    empty.hidden = pending.length > 0;
    decidedHead.hidden = decided.length === 0;
  }

  const el = h('section', { class: 'panel feed-panel', 'aria-labelledby': 'recs-title' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'recs-title' }, 'Recommendations ', count)),
    h('div', { class: 'panel-scroll' }, empty, pendingList, decidedHead, decidedList),
    opts.canAct ? null : h('p', { class: 'muted small' }, 'View only: operators approve and reject recommendations.'));
  draw();

  return {
    el,
    update(next) {
      rows = next;
      draw();
    },
    refresh: draw,
  };
}
