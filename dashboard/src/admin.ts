/**
 * The admin area: navigation and page layout for Team, Settings, Playbooks and
 * Notifications, shown only to admins of the selected org (the token's `org_roles`;
 * the server enforces the same role on every admin call): Team (team.ts), Settings
 * (settings-page.ts), Playbooks (playbooks-page.ts) and Notifications (notifications.ts).
 * `adminPageView` is the layout a page falls back to when its API is not wired (the
 * in-memory preview).
 *
 * Routes are hashes (`#/admin/team`, `#/board`) so the browser's back button and a
 * shared link work without a router; other hashes (the skip link) are not routes.
 */
import { h } from './dom.ts';

export type AdminPageId = 'team' | 'settings' | 'playbooks' | 'notifications';
export type View = 'board' | AdminPageId;

export interface AdminPage {
  id: AdminPageId;
  title: string;
  /** What the page will do, said plainly. */
  purpose: string;
  /** The edge function it will call. */
  fn: string;
}

export const ADMIN_PAGES: readonly AdminPage[] = [
  { id: 'team', title: 'Team', purpose: 'Invite people to the organisation, change their role (viewer, operator, admin) and remove access.', fn: 'members' },
  { id: 'settings', title: 'Settings', purpose: 'Set the organisation\'s area, districts and time zone, label and colour its event categories, and tune its scan and alert thresholds.', fn: 'org-settings' },
  { id: 'playbooks', title: 'Playbooks', purpose: 'Write and retire the organisation\'s own response playbooks, which recommendations cite beside the shared ones.', fn: 'playbooks' },
  { id: 'notifications', title: 'Notifications', purpose: 'Choose where firing and escalating alerts are sent (e-mail, webhooks) and test each channel.', fn: 'notification-channels' },
];

export const hrefOf = (view: View): string => (view === 'board' ? '#/board' : `#/admin/${view}`);

/** The view a hash names, or null when the hash is not a route (e.g. `#alerts-title`). */
export function viewFromHash(hash: string): View | null {
  if (hash === '' || hash === '#' || hash === '#/board') return 'board';
  const m = /^#\/admin\/([a-z]+)$/.exec(hash);
  const page = m ? ADMIN_PAGES.find((p) => p.id === m[1]) : undefined;
  return page ? page.id : null;
}

/** Header navigation for admins: the board and the four admin pages, the current one marked. */
export function createAdminNav(): { el: HTMLElement; setCurrent(view: View): void } {
  const links = new Map<View, HTMLAnchorElement>();
  for (const v of ['board', ...ADMIN_PAGES.map((p) => p.id)] as View[]) {
    links.set(v, h('a', { href: hrefOf(v), class: 'admin-link', 'data-view': v }, v === 'board' ? 'Board' : ADMIN_PAGES.find((p) => p.id === v)!.title));
  }
  const el = h('nav', { class: 'admin-nav', 'aria-label': 'Admin' }, h('ul', {}, ...[...links.values()].map((a) => h('li', {}, a))));
  return {
    el,
    setCurrent(view) {
      for (const [v, a] of links) {
        if (v === view) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
    },
  };
}

/**
 * One admin page's layout: its title, what it will do, and an honest "coming" notice.
 * `built` is a working section already on the page (Settings: the feed keys), shown
 * below the notice, which then says that only that section works.
 */
export function adminPageView(id: AdminPageId, orgName: string, built?: { title: string; el: HTMLElement }): HTMLElement {
  const page = ADMIN_PAGES.find((p) => p.id === id)!;
  const rest = built
    ? `the rest of this page is not built yet. The ${page.fn} edge function it will call exists, but this page does not call it yet; only the ${built.title} section below changes your organisation.`
    : `this page is not built yet. The ${page.fn} edge function it will call exists, but this page does not call it yet; nothing here changes your organisation.`;
  return h('section', { class: 'panel admin-page', 'aria-labelledby': 'admin-title', 'data-admin-page': id },
    h('h2', { id: 'admin-title', tabindex: -1 }, page.title),
    h('p', { class: 'muted small' }, `Administration of ${orgName}`),
    h('p', {}, page.purpose),
    h('p', { class: 'coming', role: 'note' }, h('strong', {}, 'Coming: '), rest),
    built?.el);
}
