/**
 * The after-action export on the board, for every signed-in member: pick a period,
 * prepare, then download the CSV or open the printable report (a standalone page with
 * a print stylesheet). The rows are read with the member's own session (RLS applies:
 * a viewer exports what a viewer may read) and rendered by the module `npm run export`
 * uses (after-action/). Both files are blob URLs behind real links, so the download
 * and the new tab come from the member's own click, not from a script after a wait.
 */
import { exportFileName, parsePeriod, reportCounts, reportDocument, toCsv, type AfterActionReport, type Period } from '../../after-action/index.ts';
import { h, replace } from './dom.ts';
import { errorMessage } from './errors.ts';
import { localInput } from './format.ts';

export type LoadReport = (orgId: string, period: Period) => Promise<AfterActionReport>;

const DAY_MS = 86_400_000;

export function createExportPanel(ctx: { load: LoadReport; orgId: string }): { el: HTMLElement; stop(): void } {
  const now = new Date();
  const from = h('input', { id: 'export-from', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() - 7 * DAY_MS)) });
  // The end is excluded: the next minute, so what happened this minute is in.
  const to = h('input', { id: 'export-to', type: 'datetime-local', required: true, value: localInput(new Date(now.getTime() + 60_000)) });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Prepare export');
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'export-status' });
  const failure = h('p', { class: 'notice notice-error', role: 'alert', id: 'export-error' });
  const result = h('div', { class: 'export-result', hidden: true });
  let urls: string[] = [];
  const release = (): void => { urls.forEach((u) => URL.revokeObjectURL(u)); urls = []; };
  const blobUrl = (text: string, type: string): string => {
    const u = URL.createObjectURL(new Blob([text], { type }));
    urls.push(u);
    return u;
  };

  const form = h('form', { class: 'invite-form export-form', 'aria-labelledby': 'export-title' },
    h('label', { for: 'export-from' }, 'From'), from,
    h('label', { for: 'export-to' }, 'To (excluded)'), to,
    submit);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      submit.disabled = true;
      failure.textContent = '';
      status.textContent = 'Preparing the export…';
      try {
        if (!from.value || !to.value) throw new Error('Choose when the period starts and ends.');
        const period = parsePeriod(new Date(from.value).toISOString(), new Date(to.value).toISOString());
        const report = await ctx.load(ctx.orgId, period);
        release();
        replace(result,
          h('p', { class: 'export-links' },
            h('a', { id: 'export-csv', class: 'btn', href: blobUrl(toCsv(report), 'text/csv;charset=utf-8'), download: exportFileName(report, 'csv') }, 'Download CSV'),
            ' ',
            h('a', { id: 'export-report', class: 'btn', href: blobUrl(reportDocument(report), 'text/html;charset=utf-8'), target: '_blank', rel: 'noopener' },
              'Open printable report', h('span', { class: 'visually-hidden' }, ' (opens in a new tab)'))));
        result.hidden = false;
        status.textContent = `Export ready: ${reportCounts(report)}.`;
      } catch (err) {
        status.textContent = '';
        failure.textContent = `The export failed: ${errorMessage(err)}`;
      } finally {
        submit.disabled = false;
      }
    })();
  });

  const el = h('section', { class: 'panel export-panel', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'After-action export'),
    h('p', { class: 'muted small' }, 'Hotspots, alerts with their lifecycle, and recommendations with their decisions and reasons for a period, '
      + 'as CSV or a printable report. It holds what your role may read.'),
    form, status, failure, result);
  return { el, stop: release };
}
