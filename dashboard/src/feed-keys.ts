/**
 * The "Feed keys" section for admins (rendered into the Settings page): the org's keys
 * (name, prefix, limit, created, last used, revoked) with Revoke, and a form that
 * creates one — the key shown this once, with the URL and header a feed sends it in.
 * The list follows changes made elsewhere over Realtime.
 */
import { h, replace } from './dom.ts';
import { formatTime } from './format.ts';
import { ingestFeedUrl, type FeedKey, type FeedKeysApi } from './feed-keys-api.ts';
import { pageActions, type Act } from './page-actions.ts';

export interface FeedKeysSectionContext {
  api: FeedKeysApi;
  orgId: string;
  /** The project URL (SUPABASE_URL), to show where a feed posts. */
  supabaseUrl: string;
}

/** Render the section into `container`; returns a stop function (ends the Realtime subscription). */
export function renderFeedKeys(container: HTMLElement, ctx: FeedKeysSectionContext): () => void {
  const { api, orgId } = ctx;
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'feed-keys-status' });
  const failure = h('p', { class: 'notice notice-error', role: 'alert', id: 'feed-keys-error' });
  const body = h('tbody');
  const empty = h('p', { class: 'muted small' }, 'No feed keys yet.');
  const shown = h('div', { class: 'secret-once', id: 'feed-key-once', role: 'status' });
  shown.hidden = true;

  const { act, fail } = pageActions(status, failure, () => load());

  const row = (k: FeedKey): HTMLTableRowElement => {
    let revoke: HTMLButtonElement | null = null;
    if (!k.revoked_at) {
      const b = h('button', { type: 'button', class: 'btn btn-danger' }, 'Revoke');
      b.setAttribute('aria-label', `Revoke ${k.name}`);
      b.addEventListener('click', () => void act(b, async () => {
        if (!window.confirm(`Revoke the feed key ${k.name}? Its feed stops being accepted at once.`)) return 'Nothing revoked.';
        await api.revoke(k.id);
        return `Revoked ${k.name}.`;
      }));
      revoke = b;
    }
    return h('tr', { 'data-feed-key-id': k.id },
      h('td', {}, k.name), h('td', {}, h('code', {}, `${k.key_prefix}_…`)), h('td', {}, `${k.rate_limit_per_minute}/min`),
      h('td', {}, formatTime(k.created_at)), h('td', {}, k.last_used_at ? formatTime(k.last_used_at) : 'never'),
      h('td', {}, k.revoked_at ? `revoked ${formatTime(k.revoked_at)}` : 'active'), h('td', {}, revoke));
  };

  async function load(): Promise<void> {
    try {
      const keys = await api.list(orgId);
      replace(body, ...keys.map(row));
      empty.hidden = keys.length > 0;
    } catch (e) {
      fail(e);
    }
  }

  replace(container,
    h('section', { class: 'feed-keys', 'aria-labelledby': 'feed-keys-title' },
      h('h3', { id: 'feed-keys-title' }, 'Feed keys'),
      h('p', { class: 'muted small' }, 'Keys for automated feeds (CAD, 311): each ingests events into this organisation only, through ',
        h('code', {}, ingestFeedUrl(ctx.supabaseUrl)), ' with ', h('code', {}, 'Authorization: Bearer <key>'), '.'),
      status, failure,
      h('table', { class: 'team-table' },
        h('caption', {}, 'Feed keys'),
        h('thead', {}, h('tr', {}, ...['Name', 'Key', 'Limit', 'Created', 'Last used', 'Status', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        body),
      empty,
      createForm(api, orgId, act, shown, ctx.supabaseUrl), shown));
  void load();
  return api.follow(orgId, () => void load());
}

function createForm(api: FeedKeysApi, orgId: string, act: Act, shown: HTMLElement, supabaseUrl: string): HTMLElement {
  const name = h('input', { id: 'feed-key-name', type: 'text', required: true, maxlength: 100, autocomplete: 'off', placeholder: 'CAD feed' });
  const rate = h('input', { id: 'feed-key-rate', type: 'number', min: 1, max: 60000, step: 1, placeholder: '600', 'aria-describedby': 'feed-key-rate-hint' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create key');
  const form = h('form', { class: 'invite-form', 'aria-labelledby': 'feed-key-form-title' },
    h('h4', { id: 'feed-key-form-title' }, 'New feed key'),
    h('label', { for: 'feed-key-name' }, 'Name'), name,
    h('label', { for: 'feed-key-rate' }, 'Requests a minute'),
    h('span', {}, rate, h('span', { class: 'muted small', id: 'feed-key-rate-hint' }, ' optional; default 600')),
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, async () => {
      const r = await api.create(orgId, name.value.trim(), rate.value ? Number(rate.value) : undefined);
      shown.hidden = false;
      replace(shown,
        h('p', {}, 'Key for ', r.feed_key.name, ' (shown only now; store it in the feed\'s configuration): ', h('code', { id: 'feed-key-value' }, r.key)),
        h('p', { class: 'small' }, 'The feed sends: ', h('code', {}, `curl -X POST ${ingestFeedUrl(supabaseUrl)} -H 'Authorization: Bearer ${r.key}' -H 'Content-Type: application/json' -d '{"events": [...]}'`)));
      name.value = ''; rate.value = '';
      return `Created the feed key ${r.feed_key.name}.`;
    });
  });
  return form;
}
