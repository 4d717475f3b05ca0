// notification-channels: admins manage an org's notification channels (docs/functions.md
// "Notifications"). Thin adapter over ./handler.ts; only this file reads the environment.
import { connectDb } from '../_shared/db.ts';
import { errorResponse } from '../_shared/http.ts';
import { alertLinker, hostResolver } from '../_shared/notifications/platform.ts';
import { createChannelsHandler } from './handler.ts';

const dbUrl = Deno.env.get('SUPABASE_DB_URL');
const allowPrivateTargets = Deno.env.get('HOTWATCH_ALLOW_PRIVATE_TARGETS') === 'true';
const alertUrl = alertLinker(Deno.env.get('HOTWATCH_DASHBOARD_URL'), Deno.env.get('SUPABASE_URL'));
// Email channels: the project's mail server (smtp://, smtps:// on 465, or an HTTP mail API) and sender.
const mail = { url: Deno.env.get('HOTWATCH_MAIL_URL'), apiKey: Deno.env.get('HOTWATCH_MAIL_API_KEY'), from: Deno.env.get('HOTWATCH_MAIL_FROM') };

Deno.serve(
  dbUrl
    ? createChannelsHandler({
      sql: connectDb(dbUrl),
      resolveHost: hostResolver((host, type) => Deno.resolveDns(host, type)),
      allowPrivateTargets,
      alertUrl,
      mail,
      report: (err) => console.error('notification-channels failed', err),
    })
    : () => Promise.resolve(errorResponse('misconfigured', 'SUPABASE_DB_URL is not set.')),
);
