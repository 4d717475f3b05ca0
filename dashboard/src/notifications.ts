/**
 * The Notifications page (admins): the org's channels (name, kind, target, rule,
 * enabled) with create — the generated signing secret shown this once — test (the
 * receiver's answer) and delete; and the delivery log, the recent outbox rows with their
 * attempts, with "Re-send" for dead ones. Every change goes through the
 * `notification-channels` edge function, which checks the admin role and audits it.
 * Silences are on the board, for every member (silences.ts).
 */
import { h, replace } from './dom.ts';
import { display } from './org-display.ts';
import {
  NOTIFICATION_EVENTS, SEVERITIES, type Channel, type ChannelRule, type Delivery, type NotificationEvent, type NotificationsApi,
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
      const answer = r.http_status === null ? `no answer (${r.error ?? 'failed'})` : `HTTP ${r.http_status}${r.response ? `: ${r.response.slice(0, 200)}` : ''}`;
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

function channelForm(api: NotificationsApi, orgId: string,
  act: Act, secretOut: HTMLElement): HTMLElement {
  const name = h('input', { id: 'channel-name', type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const url = h('input', { id: 'channel-url', type: 'url', required: true, autocomplete: 'off', placeholder: 'https://hooks.example.com/hotwatch' });
  const secret = h('input', { id: 'channel-secret-input', type: 'password', minlength: 24, autocomplete: 'off', 'aria-describedby': 'channel-secret-hint' });
  const severity = h('select', { id: 'channel-severity' }, h('option', { value: '' }, 'any'), ...SEVERITIES.map((s) => h('option', { value: s }, `${s} and above`)));
  const categories = h('input', { id: 'channel-categories', type: 'text', autocomplete: 'off', placeholder: 'all', 'aria-describedby': 'channel-categories-hint' });
  const events = NOTIFICATION_EVENTS.map((ev) => {
    const box = h('input', { type: 'checkbox', id: `channel-event-${ev}`, value: ev });
    box.checked = true;
    return box;
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add webhook');
  const form = h('form', { class: 'invite-form channel-form', 'aria-labelledby': 'channel-form-title' },
    h('h3', { id: 'channel-form-title' }, 'Add a webhook'),
    h('label', { for: 'channel-name' }, 'Name'), name,
    h('label', { for: 'channel-url' }, 'URL'), url,
    h('label', { for: 'channel-secret-input' }, 'Signing secret (optional)'),
    h('span', {}, secret, h('span', { class: 'muted small', id: 'channel-secret-hint' }, ' at least 24 characters; left empty, one is generated and shown once')),
    h('label', { for: 'channel-severity' }, 'Minimum severity'), severity,
    h('label', { for: 'channel-categories' }, 'Categories'),
    h('span', {}, categories, h('span', { class: 'muted small', id: 'channel-categories-hint' }, ' comma-separated; empty for all')),
    h('fieldset', { class: 'channel-events' }, h('legend', {}, 'Events'),
      ...events.map((box) => h('span', { class: 'toggle' }, box, h('label', { for: box.id }, box.value)))),
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(submit, async () => {
      const chosen = events.filter((b) => b.checked).map((b) => b.value as NotificationEvent);
      if (chosen.length === 0) throw new Error('Choose at least one event.');
      const cats = categories.value.split(',').map((c) => c.trim()).filter(Boolean);
      const rule: ChannelRule = {
        ...(severity.value ? { min_severity: severity.value as Severity } : {}),
        ...(cats.length > 0 ? { categories: cats } : {}),
        ...(chosen.length < NOTIFICATION_EVENTS.length ? { events: chosen } : {}),
      };
      const r = await api.createChannel(orgId, { name: name.value.trim(), url: url.value.trim(), ...(secret.value ? { secret: secret.value } : {}), rule });
      secretOut.hidden = !r.secret;
      replace(secretOut, ...(r.secret
        ? ['Signing secret for ', r.channel.name, ' (shown only now; copy it to the receiver): ', h('code', {}, r.secret)]
        : []));
      name.value = ''; url.value = ''; secret.value = '';
      return `Added the webhook ${r.channel.name}.`;
    });
  });
  return form;
}
