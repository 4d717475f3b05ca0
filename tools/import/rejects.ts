/**
 * The rejects file (pure formatting): `<file>.rejects.csv` with a header and one line
 * per refused row — its row number in the file (1 = the first data row or feature),
 * the original row as read, and why.
 */
export const REJECTS_HEADER = 'row,original,reason\n';

/** RFC 4180: quote a field that holds a comma, quote, CR or LF; double inner quotes. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function rejectLine(row: number, original: string, reason: string): string {
  return `${row},${csvField(original)},${csvField(reason)}\n`;
}
