/** The demo control: loads weeks of background events and fresh clusters, then scans (demo-runner.ts). */
import type { DashboardApi } from './api.ts';
import { DEMO_DAYS } from './demo-data.ts';
import { runDemo } from './demo-runner.ts';
import { h } from './dom.ts';
import { errorMessage } from './errors.ts';
import type { Notices } from './notices.ts';
import { describeScan } from './scan-control.ts';

export function createDemoControl(opts: { api: DashboardApi; orgId: string; notices: Notices; enabled: boolean }): HTMLButtonElement {
  const label = 'Run demo';
  const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'run-demo', disabled: !opts.enabled,
    title: opts.enabled ? `Ingest ${DEMO_DAYS} days of background events, inject clusters of known relative risk, then scan` : 'Operators only' }, label);
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    btn.textContent = 'Running demo…';
    btn.setAttribute('aria-busy', 'true');
    try {
      const result = await runDemo({
        ingest: (events) => opts.api.ingest(opts.orgId, events),
        triggerScan: () => opts.api.triggerScan(opts.orgId),
      }, { onProgress: (p) => opts.notices.info(p.message) });
      const known = result.clusters.map((c) => `${c.label} (RR ${c.relativeRisk})`).join('; ');
      opts.notices.info(`Demo loaded: ${result.background.accepted.toLocaleString('en')} new background events, ` +
        `${result.clusterEvents.accepted} cluster events — ${known}. ${result.scan ? describeScan(result.scan) : ''}`);
    } catch (e) {
      opts.notices.error(`Demo failed: ${errorMessage(e)}`);
    } finally {
      btn.disabled = false;
      btn.textContent = label;
      btn.removeAttribute('aria-busy');
    }
  });
  return btn;
}
