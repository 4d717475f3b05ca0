/** "Scan now": runs the hotspot scan for the org at once (the schedule also runs it every minute). */
import type { DashboardApi, ScanSummary } from './api.ts';
import { h } from './dom.ts';
import { errorMessage } from './errors.ts';
import type { Notices } from './notices.ts';

export function describeScan(s: ScanSummary): string {
  const parts = [s.scanId !== null ? `Scan run #${s.scanId} ${s.status}` : `Scan ${s.status}`];
  if (s.hotspots !== null) parts.push(`${s.hotspots} hotspot${s.hotspots === 1 ? '' : 's'}`);
  if (s.alerts !== null) parts.push(`${s.alerts} alert${s.alerts === 1 ? '' : 's'}`);
  if (s.recommendations !== null) parts.push(`${s.recommendations} recommendation${s.recommendations === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

export function createScanControl(opts: { api: DashboardApi; orgId: string; notices: Notices; enabled: boolean }): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'btn', id: 'scan-now', disabled: !opts.enabled,
    title: opts.enabled ? 'Run the hotspot scan now' : 'Operators only' }, 'Scan now');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    btn.textContent = 'Scanning…';
    opts.notices.info('Scanning for clusters…');
    try {
      opts.notices.info(describeScan(await opts.api.triggerScan(opts.orgId)));
    } catch (e) {
      opts.notices.error(`Scan failed: ${errorMessage(e)}`);
    } finally {
      btn.disabled = false;
      btn.textContent = 'Scan now';
    }
  });
  return btn;
}
