/**
 * Progress: on a terminal one redrawn line (a bar by bytes read, rows/s, ETA); piped
 * or in CI, a plain line every few seconds.
 */
export interface Counts {
  imported: number;
  duplicate: number;
  rejected: number;
  outside: number;
}

export const summaryLine = (rows: number, c: Counts): string =>
  `imported ${c.imported}, duplicate ${c.duplicate}, rejected ${c.rejected}, outside area ${c.outside}` + (rows ? ` (${rows} rows)` : '');

function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60) ? `${Math.floor(m / 60)}:` : ''}${String(m % 60).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** The progress text (pure): done fraction by bytes, rate by rows. */
export function progressText(p: { rows: number; bytes: number; totalBytes: number; elapsedMs: number; counts: Counts }, width = 24): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
  const rate = p.elapsedMs > 0 ? (p.rows * 1000) / p.elapsedMs : 0;
  const eta = frac > 0 ? (p.elapsedMs / 1000) * (1 - frac) / frac : NaN;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}% ${p.rows} rows, ${Math.round(rate)} rows/s, ETA ${clock(eta)} — ${summaryLine(0, p.counts)}`;
}

export function createProgress(out: NodeJS.WriteStream, totalBytes: number, everyMs = 5000): { update(rows: number, bytes: number, c: Counts): void; done(): void } {
  const start = Date.now();
  let last = 0;
  const tty = out.isTTY === true;
  return {
    update(rows, bytes, counts) {
      const now = Date.now();
      if (now - last < (tty ? 200 : everyMs)) return;
      last = now;
      const text = progressText({ rows, bytes, totalBytes, elapsedMs: now - start, counts });
      out.write(tty ? `\r\x1b[2K${text}` : `${text}\n`);
    },
    done() {
      if (tty) out.write('\n');
    },
  };
}
