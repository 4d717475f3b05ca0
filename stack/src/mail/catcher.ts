import type { Logger } from '../log.ts';
import { createMailHttp, listenMailHttp } from './http.ts';
import { startSmtp } from './smtp.ts';
import { MailStore } from './store.ts';

export interface MailCatcher {
  store: MailStore;
  /** Web page and Mailpit-compatible API, e.g. http://127.0.0.1:54324 */
  url: string;
  smtpHost: string;
  smtpPort: number;
  stop(): Promise<void>;
}

/**
 * The local inbox the Supabase CLI runs as Mailpit: SMTP in, web page + API out. A plain
 * start/stop pair so any supervisor can run it (the stack starts it as the "mail" service).
 */
export async function startMailCatcher(opts: { host: string; smtpPort: number; httpPort: number; log: Logger }): Promise<MailCatcher> {
  const store = new MailStore();
  const smtp = await startSmtp(store, { host: opts.host, port: opts.smtpPort, log: opts.log });
  const web = createMailHttp(store);
  let httpPort: number;
  try {
    httpPort = await listenMailHttp(web, opts.host, opts.httpPort);
  } catch (e) {
    await smtp.close();
    throw e;
  }
  web.keepAliveTimeout = 5_000;
  return {
    store,
    url: `http://${opts.host}:${httpPort}`,
    smtpHost: opts.host,
    smtpPort: smtp.port,
    async stop() {
      await Promise.all([
        smtp.close(),
        new Promise<void>((resolve) => { web.close(() => resolve()); web.closeAllConnections(); }),
      ]);
    },
  };
}
