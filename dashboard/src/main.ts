/** Entry: load config, restore or ask for a session, then run the dashboard. */
import { createClient, type Session } from '@supabase/supabase-js';
import { startApp, type App } from './app.ts';
import { signInView } from './auth.ts';
import { loadConfig } from './config.ts';
import { h, replace } from './dom.ts';
import { createSdkApi } from './sdk-api.ts';
import './styles.css';

async function main(): Promise<void> {
  const root = document.getElementById('app')!;
  const config = await loadConfig();
  const supabase = createClient(config.apiUrl, config.anonKey, {
    auth: { persistSession: true, autoRefreshToken: true, storageKey: 'hotwatch-dashboard-auth' },
  });
  let app: App | null = null;
  let api: ReturnType<typeof createSdkApi> | null = null;
  let shownFor: string | null = null;

  const showSignIn = (): void => {
    shownFor = null;
    replace(root, signInView(supabase, (s) => show(s)));
  };
  const show = (session: Session): void => {
    if (shownFor === session.user.id) return;
    shownFor = session.user.id;
    app?.stop();
    api ??= createSdkApi(supabase);
    app = startApp(root, {
      api, session,
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

  const { data } = await supabase.auth.getSession();
  if (data.session) show(data.session);
  else showSignIn();
  supabase.auth.onAuthStateChange((event, session) => {
    if (event === 'SIGNED_OUT') { app?.stop(); app = null; if (shownFor) showSignIn(); }
    else if (session && event === 'SIGNED_IN') show(session);
  });
}

main().catch((e: unknown) => {
  const root = document.getElementById('app')!;
  replace(root, h('main', { class: 'signin' }, h('div', { class: 'signin-form', role: 'alert' },
    h('h1', {}, 'Hotwatch'), h('p', {}, `The dashboard could not start: ${e instanceof Error ? e.message : String(e)}`))));
});
