/**
 * The signed-in dashboard: header (org, connection, admin navigation for admins, scan
 * now, demo, sign out), the hotspot map with its details, the alerts feed, the
 * recommendations queue, silences and the after-action export, all fed by the SDK's live streams for the selected org — or,
 * for an org's admins, one of the admin pages (admin.ts).
 */
import type { Session } from '@supabase/supabase-js';
import { createAlerts } from './alerts.ts';
import { createBrowserAlerts } from './browser-alerts.ts';
import type { DashboardApi, OrgRef, PlaybookRef } from './api.ts';
import { adminPageView, createAdminNav, viewFromHash, type View } from './admin.ts';
import { canAdminister, canOperate, orgRolesFromToken } from './auth.ts';
import { createConnection } from './connection.ts';
import { createDemoControl } from './demo-control.ts';
import { createDetails } from './details.ts';
import { createExportPanel, type LoadReport } from './export-panel.ts';
import { h, replace } from './dom.ts';
import { basemapSettingsView } from './basemap-settings.ts';
import { createMap } from './map.ts';
import type { FeedKeysApi } from './feed-keys-api.ts';
import { renderFeedKeys } from './feed-keys.ts';
import { noMapApi, type MapApi } from './map-api.ts';
import type { NotificationsApi } from './notifications-api.ts';
import { notificationsPageView } from './notifications.ts';
import { createNotices } from './notices.ts';
import { playbooksPage } from './playbooks-page.ts';
import { createRecommendations } from './recommendations.ts';
import { createScanControl } from './scan-control.ts';
import { createSilences } from './silences.ts';
import { display } from './org-display.ts';
import type { SettingsApi } from './settings-api.ts';
import { settingsPage } from './settings-page.ts';
import { RowStore } from './store.ts';
import type { TeamApi } from './team-api.ts';
import { teamPageView } from './team.ts';
import type { Alert, Hotspot, Recommendation, Role } from './types.ts';

const ORG_KEY = 'hotwatch.dashboard.org';

export interface App {
  stop(): void;
}

export function startApp(root: HTMLElement, ctx: {
  api: DashboardApi; team?: TeamApi; notifications?: NotificationsApi; settings?: SettingsApi; afterAction?: LoadReport; map?: MapApi; session: Session; signOut(): void;
  /** The Settings page's Feed keys section (feed-keys.ts). */
  feedKeys?: { api: FeedKeysApi; supabaseUrl: string };
}): App {
  const { api } = ctx;
  const roles = orgRolesFromToken(ctx.session.access_token);
  const orgIds = Object.keys(roles);
  const cleanups: Array<() => void> = [];
  let board: Board | null = null;
  // The shown admin page's cleanup (its Realtime subscription), if it has one.
  let stopPage: (() => void) | null = null;

  const connection = createConnection(api.status());
  cleanups.push(api.onStatus((st) => connection.set(st)));
  const notices = createNotices();
  const orgSlot = h('div', { class: 'org' });
  const adminSlot = h('div', { class: 'admin-slot' });
  const toolbar = h('div', { class: 'toolbar' });
  // The board keeps running (and streaming) while an admin page is shown over it.
  const boardEl = h('div', { class: 'board' });
  const adminEl = h('div', { class: 'admin', hidden: true });
  const main = h('main', { id: 'main' }, boardEl, adminEl);
  const skip = h('a', { class: 'skip-link', href: '#alerts-title' }, 'Skip to alerts');
  const email = ctx.session.user.email ?? 'signed in';
  const adminNav = createAdminNav();

  replace(root,
    skip,
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), h('span', {}, 'Hotwatch')),
      orgSlot, connection.el, adminSlot, toolbar,
      h('div', { class: 'user' },
        h('span', { class: 'user-email', title: email }, email),
        h('button', { type: 'button', class: 'btn', id: 'sign-out', onclick: () => ctx.signOut() }, 'Sign out'))),
    notices.el, main);

  if (orgIds.length === 0) {
    replace(boardEl, h('section', { class: 'panel' }, h('h2', {}, 'No organisation'),
      h('p', {}, 'This account is not a member of any organisation. Ask an admin to add you.')));
    return { stop: () => cleanups.forEach((f) => f()) };
  }

  let orgId = '';
  let orgNames: OrgRef[] = [];

  /** Show the board or, for an admin of the org, an admin page. */
  const show = (want: View): void => {
    const admin = canAdminister(roles[orgId]);
    const view: View = want !== 'board' && admin ? want : 'board';
    replace(adminSlot, ...(admin ? [adminNav.el] : []));
    adminNav.setCurrent(view);
    boardEl.hidden = view !== 'board';
    adminEl.hidden = view === 'board';
    skip.setAttribute('href', view === 'board' ? '#alerts-title' : '#admin-title');
    skip.textContent = view === 'board' ? 'Skip to alerts' : 'Skip to page';
    stopPage?.();
    stopPage = null;
    if (view === 'board') {
      replace(adminEl);
      return;
    }
    if (view === 'settings' && ctx.settings) {
      const page = settingsPage({ api: ctx.settings, orgId, orgName: orgNames.find((o) => o.id === orgId)?.name ?? 'this organisation' });
      // The page leaves a slot for the Feed keys section (feed-keys.ts).
      const slot = page.el.querySelector<HTMLElement>('[data-slot="feed-keys"]');
      const stopKeys = slot && ctx.feedKeys ? renderFeedKeys(slot, { ...ctx.feedKeys, orgId }) : null;
      // The basemap chooser (basemap-settings.ts) is its own section, before the feed keys.
      const basemap = ctx.map ? basemapSettingsView({ api: ctx.map, orgId }) : null;
      if (basemap) {
        if (slot) slot.before(basemap.el);
        else page.el.append(basemap.el);
      }
      stopPage = () => { page.stop(); stopKeys?.(); basemap?.stop(); };
      replace(adminEl, page.el);
      page.focusTarget.focus();
      return;
    }
    if (view === 'playbooks') {
      const page = playbooksPage(api, orgId);
      stopPage = page.stop;
      replace(adminEl, page.el);
      page.focusTarget.focus();
      return;
    }
    const orgName = orgNames.find((o) => o.id === orgId)?.name ?? 'this organisation';
    replace(adminEl, view === 'team' && ctx.team
      ? teamPageView({ team: ctx.team, orgId, orgName, selfId: ctx.session.user.id })
      : view === 'notifications' && ctx.notifications
        ? notificationsPageView({ api: ctx.notifications, orgId, orgName })
        : adminPageView(view, orgName));
    adminEl.querySelector<HTMLElement>('#admin-title')?.focus();
  };

  const openBoard = (id: string): void => {
    board?.stop();
    orgId = id;
    localStorage.setItem(ORG_KEY, id);
    board = startBoard(boardEl, toolbar, {
      api, notifications: ctx.notifications, settings: ctx.settings, afterAction: ctx.afterAction, mapApi: ctx.map ?? noMapApi,
      orgId, role: roles[orgId], notices, userId: ctx.session.user.id,
      openAlert: (alertId) => {
        // A notification's click: the board, the alert focused; the hash names it (as the links in Slack, Teams, email do).
        history.replaceState(null, '', `#alert-${alertId}`);
        show('board');
        board?.focusAlert(alertId);
      },
    });
    show(viewFromHash(location.hash) ?? 'board');
    const linked = alertFromHash(location.hash);
    if (linked !== null) board.focusAlert(linked);
  };
  // Hash routes (#/board, #/admin/<page>) and alert links (#alert-<id>); other hashes, like the skip link's, are not routes.
  const onHash = (): void => {
    const linked = alertFromHash(location.hash);
    if (linked !== null) {
      show('board');
      board?.focusAlert(linked);
      return;
    }
    const v = viewFromHash(location.hash);
    if (v !== null) show(v);
  };
  window.addEventListener('hashchange', onHash);
  cleanups.push(() => window.removeEventListener('hashchange', onHash));

  // Org names arrive from REST; until then (or if it fails) show the ids.
  const renderOrgs = (orgs: OrgRef[], current: string): void => {
    if (orgIds.length === 1) {
      const o = orgs.find((x) => x.id === current);
      replace(orgSlot, h('span', { class: 'org-name' }, o?.name ?? 'Organisation'), h('span', { class: 'role' }, roles[current] ?? ''));
      return;
    }
    const select = h('select', { id: 'org-select', 'aria-label': 'Organisation' },
      ...orgIds.map((id) => {
        const opt = h('option', { value: id }, `${orgs.find((x) => x.id === id)?.name ?? id} (${roles[id]})`);
        opt.selected = id === current;
        return opt;
      }));
    select.addEventListener('change', () => openBoard(select.value));
    replace(orgSlot, select);
  };
  const saved = localStorage.getItem(ORG_KEY);
  const first = saved && orgIds.includes(saved) ? saved : orgIds.sort()[0]!;
  renderOrgs([], first);
  api.orgs(orgIds).then((orgs) => {
    orgNames = orgs;
    renderOrgs(orgs, localStorage.getItem(ORG_KEY) ?? first);
  }, () => {});
  openBoard(first);

  return {
    stop() {
      board?.stop();
      stopPage?.();
      cleanups.forEach((f) => f());
    },
  };
}

/** `#alert-17` → 17: the link notifications carry to an alert. */
function alertFromHash(hash: string): number | null {
  const m = /^#alert-(\d{1,18})$/.exec(hash);
  return m ? Number(m[1]) : null;
}

interface Board {
  stop(): void;
  /** Select the alert's hotspot and focus the alert in the feed (now, or once the alert arrives). */
  focusAlert(alertId: number): void;
}

function startBoard(boardEl: HTMLElement, toolbar: HTMLElement, ctx: {
  api: DashboardApi; notifications: NotificationsApi | undefined; settings: SettingsApi | undefined; afterAction: LoadReport | undefined; mapApi: MapApi;
  orgId: string; role: Role | undefined;
  notices: ReturnType<typeof createNotices>; userId: string; openAlert(alertId: number): void;
}): Board {
  const { api, orgId, notices } = ctx;
  const operate = canOperate(ctx.role);
  const hotspots = new RowStore<Hotspot>();
  const alerts = new RowStore<Alert>();
  const recs = new RowStore<Recommendation>();
  const playbooks = new Map<string, PlaybookRef>();
  const requested = new Set<string>();
  let selected: number | null = null;

  const select = (id: number | null): void => {
    selected = id;
    map.select(id);
    details.show(id === null ? null : hotspots.get(id) ?? null);
  };
  // "Run demo" only for a demo org (orgs.is_demo): a real org's data never gets synthetic events.
  const demoButton = createDemoControl({ api, orgId, notices, enabled: operate });
  const emptyDemo = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => demoButton.click() }, 'Run the demo');
  demoButton.hidden = emptyDemo.hidden = true;
  const isDemo = api.orgs([orgId]).then(([o]) => o?.is_demo === true, () => false);
  void isDemo.then((demo) => { demoButton.hidden = emptyDemo.hidden = !demo; });
  const map = createMap({
    orgId, mapApi: ctx.mapApi, isDemo,
    onSelect: (id) => select(id),
    ...(operate ? { emptyAction: emptyDemo } : {}),
  });
  const details = createDetails({ loadScanRun: (id) => api.scanRun(id), loadSeries: (id, hours) => api.hotspotSeries(id, hours), onClose: () => select(null) });
  const alertsView = createAlerts({ api, canAct: operate, onSelectHotspot: (id) => { select(id); details.el.scrollIntoView({ block: 'nearest' }); } });
  let wantAlert: number | null = null;
  const focusAlert = (alertId: number): boolean => {
    const a = alerts.get(alertId);
    const item = document.querySelector<HTMLElement>(`[data-alert-id="${alertId}"] .item-title`);
    if (!a || !item) {
      wantAlert = alertId;
      return false;
    }
    wantAlert = null;
    select(a.hotspot_id);
    item.scrollIntoView({ block: 'nearest' });
    item.focus();
    return true;
  };
  const browserAlerts = createBrowserAlerts({
    userId: ctx.userId,
    placeOf: (a) => {
      const hs = hotspots.get(a.hotspot_id);
      return hs ? `${hs.center_lat.toFixed(4)}, ${hs.center_lng.toFixed(4)} (radius ${Math.round(hs.radius_m)} m)` : null;
    },
    open: (id) => ctx.openAlert(id),
  });
  const recsView = createRecommendations({
    api, canAct: operate,
    alert: (id) => alerts.get(id),
    playbook: (id) => playbooks.get(id),
    onSelectAlert: (alertId) => {
      const a = alerts.get(alertId);
      if (a) select(a.hotspot_id);
      document.querySelector<HTMLElement>(`[data-alert-id="${alertId}"] .item-title`)?.focus();
    },
  });

  // Every member sees the org's active silences; admins and operators create and end them.
  const silences = ctx.notifications ? createSilences({ api: ctx.notifications, orgId, canEdit: operate }) : null;
  // Every member exports the period's history they may read (after-action report).
  const exporter = ctx.afterAction ? createExportPanel({ load: ctx.afterAction, orgId }) : null;
  replace(toolbar, createScanControl({ api, orgId, notices, enabled: operate }), demoButton);
  replace(boardEl,
    h('div', { class: 'col col-map' }, map.el, details.el),
    h('div', { class: 'col col-feeds' }, browserAlerts.el, alertsView.el, recsView.el, silences?.el, exporter?.el));
  details.show(null);

  hotspots.onChange((rows) => {
    map.update(rows);
    if (selected !== null) details.show(hotspots.get(selected) ?? null);
  });
  alerts.onChange((rows) => {
    alertsView.update(rows);
    recsView.refresh();
    browserAlerts.observe(rows);
    if (wantAlert !== null) focusAlert(wantAlert);
  });
  recs.onChange((rows) => {
    recsView.update(rows);
    const missing = [...new Set(rows.map((r) => r.playbook_id))].filter((id) => !requested.has(id));
    if (missing.length === 0) return;
    missing.forEach((id) => requested.add(id));
    api.playbooks(missing).then((list) => {
      for (const p of list) playbooks.set(p.id, p);
      recsView.refresh();
    }, () => missing.forEach((id) => requested.delete(id)));
  });
  map.update([]);

  // Times on the org's clock and categories as the org names them (org settings), followed
  // live: another admin's change redraws every panel without a reload.
  display.reset();
  const redraw = display.onChange(() => {
    map.update(hotspots.all());
    if (selected !== null) details.show(hotspots.get(selected) ?? null);
    alertsView.update(alerts.all());
    recsView.refresh();
    silences?.refresh();
  });
  let stopped = false;
  let reads = 0;
  let applied = 0;
  const loadSettings = (): void => {
    const seq = ++reads;
    ctx.settings?.read(orgId).then((s) => {
      // Reads may answer out of order; only the newest one counts.
      if (seq < applied || stopped) return;
      applied = seq;
      display.set(s);
    }, () => { /* the board keeps the zone and labels it has; the next change notice retries */ });
  };
  loadSettings();
  const stopSettings = ctx.settings ? ctx.settings.onChange(orgId, loadSettings) : () => {};

  const unsubs = [
    redraw, stopSettings,
    api.subscribe('hotspots', orgId, (ev) => hotspots.apply(ev)),
    api.subscribe('alerts', orgId, (ev) => alerts.apply(ev)),
    api.subscribe('recommendations', orgId, (ev) => recs.apply(ev)),
  ];
  return { stop: () => { stopped = true; unsubs.forEach((u) => u()); silences?.stop(); exporter?.stop(); map.stop(); }, focusAlert: (id) => void focusAlert(id) };
}
