/**
 * The Notifications page (admins): the org's channels (name, kind, target, rule,
 * enabled) with create — per kind: webhook (the generated signing secret shown this
 * once), Slack, Teams (webhook URL), PagerDuty (routing key, optional Events API URL),
 * email (addresses, optional mail server URL) — test (the
 * receiver's answer) and delete; and the delivery log, the recent outbox rows with their
 * attempts, with "Re-send" for dead ones. Every change goes through the
 * `notification-channels` edge function, which checks the admin role and audits it.
 * Silences are on the board, for every member (silences.ts).
 */
import { h, replace } from './dom.ts';
import { display } from './org-display.ts';
import {
  CHANNEL_KINDS, NOTIFICATION_EVENTS, SEVERITIES, type Channel, type ChannelKind, type ChannelRule, type Delivery, type NotificationEvent, type NotificationsApi,
} from './notifications-api.ts';
import { pageActions, type Act } from './page-actions.ts';
import type { Severity } from './types.ts';

function ruleText(r: ChannelRule): string {
  const parts = [
    r.min_severity ? `${r.min_severity} and above` : 'any severity',
    r.categories ? r.categories.join(', ') : 'any category',
    r.events ? r.events.join(', ') : 'every event',
  ];
  if (r.districts) parts.push(r.districts.join(', '));
  return parts.join('; ');
}

export function notificationsPageView(ctx: { api: NotificationsApi; orgId: string; orgName: string }): HTMLElement {
  const { api, orgId } = ctx;
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'notify-status' });
  const failure = h('p', { class: 'notice notice-error', role: 'alert', id: 'notify-error' });
  const channelsBody = h('tbody');
  const channelsEmpty = h('p', { class: 'muted small' }, 'No channels yet: alerts are only shown on the board.');
  const logBody = h('tbody');
  const logEmpty = h('p', { class: 'muted small' }, 'Nothing sent yet.');
  const names = new Map<string, string>();

  const { act, fail } = pageActions(status, failure, () => load());

  const channelRow = (c: Channel): HTMLTableRowElement => {
    const test = h('button', { type: 'button', class: 'btn' }, 'Send test');
    test.setAttribute('aria-label', `Send test to ${c.name}`);
    test.addEventListener('click', () => void act(test, async () => {
      const r = await api.testChannel(c.id);
      const answer = r.http_status !== null ? `HTTP ${r.http_status}${r.response ? `: ${r.response.slice(0, 200)}` : ''}`
        : r.delivered ? `mail server: ${(r.response ?? '').slice(0, 200)}` : `no answer (${r.error ?? 'failed'})`;
      return `Test to ${c.name}: ${r.delivered ? 'delivered' : 'not delivered'}, ${answer}, in ${r.latency_ms} ms.`;
    }));
    const del = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete');
    del.setAttribute('aria-label', `Delete ${c.name}`);
    del.addEventListener('click', () => void act(del, async () => {
      if (!window.confirm(`Delete the channel ${c.name}, its queued notifications and its delivery log?`)) return 'Nothing deleted.';
      await api.deleteChannel(c.id);
      return `Deleted ${c.name}.`;
    }));
    return h('tr', { 'data-channel-id': c.id },
      h('td', {}, c.name), h('td', {}, c.kind), h('td', {}, c.target), h('td', {}, ruleText(c.rule)),
      h('td', {}, c.enabled ? 'yes' : 'no'), h('td', {}, test, ' ', del));
  };

  const deliveryRow = (d: Delivery): HTMLTableRowElement => {
    const log = d.log.length === 0 ? 'no attempt yet' : d.log.map((a) =>
      `#${a.attempt} ${a.outcome}${a.http_status ? ` ${a.http_status}` : ''}${a.latency_ms !== null ? ` ${Math.round(a.latency_ms)} ms` : ''}${a.error ? ` (${a.error})` : ''}`).join('; ');
    let resend: HTMLButtonElement | null = null;
    if (d.status === 'dead') {
      resend = h('button', { type: 'button', class: 'btn' }, 'Re-send');
      resend.setAttribute('aria-label', `Re-send notification ${d.id}`);
      const b = resend;
      b.addEventListener('click', () => void act(b, async () => {
        await api.resend(d.id);
        return `Notification ${d.id} is queued again.`;
      }));
    }
    return h('tr', { 'data-outbox-id': d.id },
      h('td', {}, display.time(d.created_at)), h('td', {}, names.get(d.channel_id) ?? d.channel_id),
      h('td', {}, `alert ${d.alert_id} ${d.event}`), h('td', {}, d.status), h('td', {}, d.attempts),
      h('td', { class: 'small' }, d.last_error ?? '', d.last_error ? h('br') : null, log), h('td', {}, resend));
  };

  async function load(): Promise<void> {
    try {
      const [channels, deliveries] = await Promise.all([api.channels(orgId), api.deliveries(orgId)]);
      for (const c of channels) names.set(c.id, c.name);
      replace(channelsBody, ...channels.map(channelRow));
      channelsEmpty.hidden = channels.length > 0;
      replace(logBody, ...deliveries.map(deliveryRow));
      logEmpty.hidden = deliveries.length > 0;
    } catch (e) {
      fail(e);
    }
  }

  const secretOut = h('p', { class: 'secret-once', id: 'channel-secret', role: 'status' });
  secretOut.hidden = true;

  void load();
  return h('section', { class: 'panel admin-page notifications-page', 'aria-labelledby': 'admin-title', 'data-admin-page': 'notifications' },
    h('h2', { id: 'admin-title', tabindex: -1 }, 'Notifications'),
    h('p', { class: 'muted small' }, `Administration of ${ctx.orgName}`),
    status, failure,
    h('table', { class: 'team-table' },
      h('caption', {}, 'Channels'),
      h('thead', {}, h('tr', {}, ...['Name', 'Kind', 'Target', 'Rule', 'Enabled', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      channelsBody),
    channelsEmpty,
    channelForm(api, orgId, act, secretOut), secretOut,
    h('p', { class: 'muted small' }, 'Silences are listed on the board, where admins and operators create and end them.'),
    h('table', { class: 'team-table' },
      h('caption', {}, 'Delivery log'),
      h('thead', {}, h('tr', {}, ...['Queued', 'Channel', 'What', 'Status', 'Attempts', 'Attempts log', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      logBody),
    logEmpty);
}

/** Per kind: the form's wording and which fields it shows (the function checks them again). */
const KIND_FORM: Record<ChannelKind, {
  label: string; noun: string; url: 'required' | 'optional' | null; urlLabel: string; urlHint: string;
  secret: 'required' | 'optional' | null; secretLabel: string; secretHint: string; addresses: boolean;
}> = {
  webhook: { label: 'Webhook (signed JSON)', noun: 'webhook', url: 'required', urlLabel: 'URL', urlHint: 'https://hooks.example.com/hotwatch',
    secret: 'optional', secretLabel: 'Signing secret (optional)', secretHint: ' at least 24 characters; left empty, one is generated and shown once', addresses: false },
  slack: { label: 'Slack', noun: 'Slack channel', url: 'required', urlLabel: 'Slack webhook URL', urlHint: 'https://hooks.slack.com/services/…',
    secret: null, secretLabel: '', secretHint: '', addresses: false },
  teams: { label: 'Microsoft Teams', noun: 'Teams channel', url: 'required', urlLabel: 'Teams Workflows webhook URL', urlHint: 'https://…powerautomate.com/…',
    secret: null, secretLabel: '', secretHint: '', addresses: false },
  pagerduty: { label: 'PagerDuty', noun: 'PagerDuty service', url: 'optional', urlLabel: 'Events API URL (optional)', urlHint: 'https://events.pagerduty.com/v2/enqueue',
    secret: 'required', secretLabel: 'Routing key', secretHint: ' the Events API v2 integration key (32 characters); stored in Vault', addresses: false },
  email: { label: 'Email', noun: 'email channel', url: 'optional', urlLabel: 'Mail server URL (optional)', urlHint: 'smtps://user:pass@smtp.example.com:465',
    secret: null, secretLabel: '', secretHint: '', addresses: true },
};

function channelForm(api: NotificationsApi, orgId: string,
  act: Act, secretOut: HTMLElement): HTMLElement {
  const kind = h('select', { id: 'channel-kind' }, ...CHANNEL_KINDS.map((k) => h('option', { value: k }, KIND_FORM[k].label)));
  const name = h('input', { id: 'channel-name', type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const url = h('input', { id: 'channel-url', type: 'url', required: true, autocomplete: 'off' });
  const urlLabel = h('label', { for: 'channel-url' });
  const secret = h('input', { id: 'channel-secret-input', type: 'password', autocomplete: 'off', 'aria-describedby': 'channel-secret-hint' });
  const secretLabel = h('label', { for: 'channel-secret-input' });
  const secretHint = h('span', { class: 'muted small', id: 'channel-secret-hint' });
  const addresses = h('input', { id: 'channel-addresses', type: 'text', autocomplete: 'off', placeholder: 'ops@example.com, duty@example.com', 'aria-describedby': 'channel-addresses-hint' });
  const addressesLabel = h('label', { for: 'channel-addresses' }, 'Addresses');
  const severity = h('select', { id: 'channel-severity' }, h('option', { value: '' }, 'any'), ...SEVERITIES.map((s) => h('option', { value: s }, `${s} and above`)));
  const categories = h('input', { id: 'channel-categories', type: 'text', autocomplete: 'off', placeholder: 'all', 'aria-describedby': 'channel-categories-hint' });
  const events = NOTIFICATION_EVENTS.map((ev) => {
    const box = h('input', { type: 'checkbox', id: `channel-event-${ev}`, value: ev });
    box.checked = true;
    return box;
  });
  const title = h('h3', { id: 'channel-form-title' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' });
  const urlRow = [urlLabel, h('span', {}, url)];
  const secretRow = [secretLabel, h('span', {}, secret, secretHint)];
  const addressesRow = [addressesLabel, h('span', {}, addresses, h('span', { class: 'muted small', id: 'channel-addresses-hint' }, ' comma-separated'))];
  const form = h('form', { class: 'invite-form channel-form', 'aria-labelledby': 'channel-form-title' },
    title,
    h('label', { for: 'channel-kind' }, 'Kind'), kind,
    h('label', { for: 'channel-name' }, 'Name'), name,
    ...urlRow, ...secretRow, ...addressesRow,
    h('label', { for: 'channel-severity' }, 'Minimum severity'), severity,
    h('label', { for: 'channel-categories' }, 'Categories'),
    h('span', {}, categories, h('span', { class: 'muted small', id: 'channel-categories-hint' }, ' comma-separated; empty for all')),
    h('fieldset', { class: 'channel-events' }, h('legend', {}, 'Events'),
      ...events.map((box) => h('span', { class: 'toggle' }, box, h('label', { for: box.id }, box.value)))),
    submit);
  const chosenKind = (): ChannelKind => kind.value as ChannelKind;
  const showKind = (): void => {
    const f = KIND_FORM[chosenKind()];
    title.textContent = `Add a ${f.noun}`;
    submit.textContent = `Add ${f.noun}`;
    urlLabel.textContent = f.urlLabel;
    url.placeholder = f.urlHint;
    url.required = f.url === 'required';
    for (const el of urlRow) el.hidden = f.url === null;
    secretLabel.textContent = f.secretLabel;
    secretHint.textContent = f.secretHint;
    secret.required = f.secret === 'required';
    for (const el of secretRow) el.hidden = f.secret === null;
    addresses.required = f.addresses;
    for (const el of addressesRow) el.hidden = !f.addresses;
  };
  kind.addEventListener('change', showKind);
  showKind();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, async () => {
      const k = chosenKind();
      const f = KIND_FORM[k];
      const chosen = events.filter((b) => b.checked).map((b) => b.value as NotificationEvent);
      if (chosen.length === 0) throw new Error('Choose at least one event.');
      const cats = categories.value.split(',').map((c) => c.trim()).filter(Boolean);
      const rule: ChannelRule = {
        ...(severity.value ? { min_severity: severity.value as Severity } : {}),
        ...(cats.length > 0 ? { categories: cats } : {}),
        ...(chosen.length < NOTIFICATION_EVENTS.length ? { events: chosen } : {}),
      };
      const list = addresses.value.split(',').map((a) => a.trim()).filter(Boolean);
      const r = await api.createChannel(orgId, {
        kind: k, name: name.value.trim(), rule,
        ...(f.url !== null && url.value.trim() ? { url: url.value.trim() } : {}),
        ...(f.secret !== null && secret.value ? { secret: secret.value } : {}),
        ...(f.addresses ? { addresses: list } : {}),
      });
      secretOut.hidden = !r.secret;
      replace(secretOut, ...(r.secret
        ? ['Signing secret for ', r.channel.name, ' (shown only now; copy it to the receiver): ', h('code', {}, r.secret)]
        : []));
      name.value = ''; url.value = ''; secret.value = ''; addresses.value = '';
      return `Added the ${f.noun} ${r.channel.name}.`;
    });
  });
  return form;
}
