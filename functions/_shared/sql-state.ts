/** PostgreSQL errors by SQLSTATE (postgres.js puts it in the error's `code`). */

/** The error's SQLSTATE, when it carries one. */
export function sqlState(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** 23505: a unique constraint refused the row. */
export const isUniqueViolation = (e: unknown): boolean => sqlState(e) === '23505';
