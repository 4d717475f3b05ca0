/** Entry: load config, restore or ask for a session, then run the dashboard. */
import { createClient, type Session } from '@supabase/supabase-js';
import { fetchAfterAction } from '../../after-action/index.ts';
import { startApp, type App } from './app.ts';
import { signInView } from './auth.ts';
import { loadConfig } from './config.ts';
import { h, replace } from './dom.ts';
import { createSdkApi } from './sdk-api.ts';
import { linkTypeOf, SETS_PASSWORD, setPasswordView } from './set-password.ts';
import { createFeedKeysApi } from './feed-keys-api.ts';
import { createNotificationsApi } from './notifications-api.ts';
import { createSettingsApi } from './settings-api.ts';
import { createMapApi } from './map-api.ts';
import { createTeamApi } from './team-api.ts';
import './styles.css';

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  // An invitation, recovery or magic link lands here with the session in the fragment;
  // note its kind before supabase-js takes the session and clears the fragment.
  const linkType = linkTypeOf(location.hash);
  const config = await loadConfig();
  const supabase = createClient(config.apiUrl, config.anonKey, {
    auth: { persistSession: true, autoRefreshToken: true, storageKey: 'hotwatch-dashboard-auth' },
  });
  const team = createTeamApi(supabase);
  const notifications = createNotificationsApi(supabase);
  const feedKeys = { api: createFeedKeysApi(supabase), supabaseUrl: config.apiUrl };
  const settings = createSettingsApi(supabase);
  const mapApi = createMapApi(supabase, config);
  let app: App | null = null;
  let api: ReturnType<typeof createSdkApi> | null = null;
  let shownFor: string | null = null;

  const showSignIn = (): void => {
    shownFor = null;
    replace(root, signInView(supabase, (s) => void enter(s)));
  };
  const show = (session: Session): void => {
    if (shownFor === session.user.id) return;
    shownFor = session.user.id;
    app?.stop();
    api ??= createSdkApi(supabase);
    app = startApp(root, {
      api, team, notifications, feedKeys, settings, map: mapApi, session,
      afterAction: (orgId, period) => fetchAfterAction(supabase, { orgId, period }),
      signOut: () => {
        app?.stop();
        app = null;
        const closing = api?.close();
        api = null;
        void Promise.resolve(closing).finally(() => supabase.auth.signOut().finally(showSignIn));
      },
    });
    document.title = 'Hotwatch — live operations';
  };

  /**
   * After an emailed link (invitation, magic link, recovery): join the orgs this address
   * was invited to (the members function's `accept`) and refresh the session so its
   * token carries them, before showing the board. A plain sign-in or a restored session
   * skips the call: invitations are accepted through their link.
   */
  let entering: string | null = null;
  let settingPassword = false;
  const enter = async (session: Session): Promise<void> => {
    if (entering === session.user.id || shownFor === session.user.id) return;
    entering = session.user.id;
    settingPassword = false;
    let current = session;
    if (linkType) try {
      const { accepted } = await team.accept();
      if (accepted.length > 0) {
        const { data: refreshed } = await supabase.auth.refreshSession();
        if (refreshed.session) current = refreshed.session;
      }
    } catch {
      // The invitation stays pending (resend gives a new link); the board still opens.
    }
    entering = null;
    show(current);
  };

  const { data } = await supabase.auth.getSession();
  if (data.session && linkType && SETS_PASSWORD.has(linkType)) {
    const session = data.session;
    settingPassword = true;
    // [auth] minimum_password_length in supabase/config.toml.
    replace(root, setPasswordView(supabase, { email: session.user.email ?? '', invited: linkType === 'invite', minLength: 8, onDone: () => void enter(session) }));
  } else if (data.session) void enter(data.session);
  else showSignIn();
  supabase.auth.onAuthStateChange((event, session) => {
    if (event === 'SIGNED_OUT') { app?.stop(); app = null; if (shownFor) showSignIn(); }
    else if (session && event === 'SIGNED_IN' && !settingPassword) void enter(session);
  });
}

main().catch((e: unknown) => {
  const root = document.getElementById('app')!;
  replace(root, h('main', { class: 'signin' }, h('div', { class: 'signin-form', role: 'alert' },
    h('h1', {}, 'Hotwatch'), h('p', {}, `The dashboard could not start: ${e instanceof Error ? e.message : String(e)}`))));
});
