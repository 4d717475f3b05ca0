/** A one-line, human message for any failure a call can throw (SDK named errors included). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const name = e.name && e.name !== 'Error' ? e.name.replace(/Error$/, '') : '';
    const msg = e.message || 'Something went wrong.';
    if (name === 'Conflict') return `Already changed elsewhere: ${msg}`;
    if (name === 'Forbidden') return `Not allowed: ${msg}`;
    return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(e);
}
