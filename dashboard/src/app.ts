/**
 * The signed-in dashboard: header (org, connection, admin navigation for admins, scan
 * now, demo, sign out), the hotspot map with its details, the alerts feed and the
 * recommendations queue, all fed by the SDK's live streams for the selected org — or,
 * for an org's admins, one of the admin pages (admin.ts).
 */
import type { Session } from '@supabase/supabase-js';
import { createAlerts } from './alerts.ts';
import type { DashboardApi, OrgRef, PlaybookRef } from './api.ts';
import { adminPageView, createAdminNav, viewFromHash, type View } from './admin.ts';
import { canAdminister, canOperate, orgRolesFromToken } from './auth.ts';
import { createConnection } from './connection.ts';
import { createDemoControl } from './demo-control.ts';
import { createDetails } from './details.ts';
import { h, replace } from './dom.ts';
import { basemapSettingsView } from './basemap-settings.ts';
import { createMap } from './map.ts';
import { noMapApi, type MapApi } from './map-api.ts';
import type { NotificationsApi } from './notifications-api.ts';
import { notificationsPageView } from './notifications.ts';
import { createNotices } from './notices.ts';
import { playbooksPage } from './playbooks-page.ts';
import { createRecommendations } from './recommendations.ts';
import { createScanControl } from './scan-control.ts';
import { createSilences } from './silences.ts';
import { RowStore } from './store.ts';
import type { TeamApi } from './team-api.ts';
import { teamPageView } from './team.ts';
import type { Alert, Hotspot, Recommendation, Role } from './types.ts';

const ORG_KEY = 'hotwatch.dashboard.org';

export interface App {
  stop(): void;
}

export function startApp(root: HTMLElement, ctx: {
  api: DashboardApi; team?: TeamApi; notifications?: NotificationsApi; map?: MapApi; session: Session; signOut(): void;
}): App {
  const { api } = ctx;
  const roles = orgRolesFromToken(ctx.session.access_token);
  const orgIds = Object.keys(roles);
  const cleanups: Array<() => void> = [];
  let board: { stop(): void } | null = null;
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
    if (view === 'playbooks') {
      const page = playbooksPage(api, orgId);
      stopPage = page.stop;
      replace(adminEl, page.el);
      page.focusTarget.focus();
      return;
    }
    const orgName = orgNames.find((o) => o.id === orgId)?.name ?? 'this organisation';
    if (view === 'settings' && ctx.map) {
      // The basemap chooser (basemap-settings.ts) is its own section of the Settings page.
      const basemap = basemapSettingsView({ api: ctx.map, orgId });
      stopPage = basemap.stop;
      replace(adminEl, adminPageView(view, orgName), basemap.el);
      adminEl.querySelector<HTMLElement>('#admin-title')?.focus();
      return;
    }
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
    board = startBoard(boardEl, toolbar, { api, notifications: ctx.notifications, mapApi: ctx.map ?? noMapApi, orgId, role: roles[orgId], notices });
    show(viewFromHash(location.hash) ?? 'board');
  };
  // Hash routes (#/board, #/admin/<page>); other hashes, like the skip link's, are not routes.
  const onHash = (): void => {
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

function startBoard(boardEl: HTMLElement, toolbar: HTMLElement, ctx: {
  api: DashboardApi; notifications: NotificationsApi | undefined; mapApi: MapApi; orgId: string; role: Role | undefined;
  notices: ReturnType<typeof createNotices>;
}): { stop(): void } {
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
  const details = createDetails({ loadScanRun: (id) => api.scanRun(id), onClose: () => select(null) });
  const alertsView = createAlerts({ api, canAct: operate, onSelectHotspot: (id) => { select(id); details.el.scrollIntoView({ block: 'nearest' }); } });
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
  replace(toolbar, createScanControl({ api, orgId, notices, enabled: operate }), demoButton);
  replace(boardEl,
    h('div', { class: 'col col-map' }, map.el, details.el),
    h('div', { class: 'col col-feeds' }, alertsView.el, recsView.el, silences?.el));
  details.show(null);

  hotspots.onChange((rows) => {
    map.update(rows);
    if (selected !== null) details.show(hotspots.get(selected) ?? null);
  });
  alerts.onChange((rows) => {
    alertsView.update(rows);
    recsView.refresh();
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

  const unsubs = [
    api.subscribe('hotspots', orgId, (ev) => hotspots.apply(ev)),
    api.subscribe('alerts', orgId, (ev) => alerts.apply(ev)),
    api.subscribe('recommendations', orgId, (ev) => recs.apply(ev)),
  ];
  return { stop: () => { unsubs.forEach((u) => u()); silences?.stop(); map.stop(); } };
}
