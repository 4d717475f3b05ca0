import type { ServiceFactory } from './service-types.ts';

/**
 * The services `startStack` runs, in start order. Each issue that adds a service
 * registers its factory here.
 */
export const SERVICE_FACTORIES: Array<{ name: string; load: () => Promise<ServiceFactory> }> = [
  { name: 'workers', load: async () => (await import('./extensions/service.ts')).startExtensionWorkers },
  { name: 'mail', load: async () => (await import('./mail/service.ts')).startMail },
  { name: 'rest', load: async () => (await import('./rest/service.ts')).startRest },
  { name: 'auth', load: async () => (await import('./auth/service.ts')).startAuth },
  { name: 'realtime', load: async () => (await import('./realtime/service.ts')).startRealtime },
  { name: 'storage', load: async () => (await import('./storage/service.ts')).startStorage },
  { name: 'functions', load: async () => (await import('./functions-gateway/service.ts')).startFunctionsGateway },
  { name: 'dashboard', load: async () => (await import('./dashboard/service.ts')).startDashboard },
];
