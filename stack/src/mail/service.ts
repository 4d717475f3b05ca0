import type { ServiceFactory, StackService } from '../service-types.ts';
import { startMailCatcher, type MailCatcher } from './catcher.ts';

export interface MailService extends StackService { catcher: MailCatcher }

/** The stack's "mail" service: the catcher on HOTWATCH_SMTP_PORT / HOTWATCH_MAIL_PORT. */
export const startMail: ServiceFactory = async (ctx) => {
  const catcher = await startMailCatcher({ host: ctx.config.host, smtpPort: ctx.config.smtpPort, httpPort: ctx.config.mailPort, log: ctx.log });
  ctx.log.info('mail catcher ready', { inbox: catcher.url, smtp: `${catcher.smtpHost}:${catcher.smtpPort}` });
  const service: MailService = { name: 'mail', catcher, stop: () => catcher.stop() };
  return service;
};
