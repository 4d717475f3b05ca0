/** Connection facts the global setup provides to integration tests (inject('stack')). */
export interface TestStackInfo {
  apiUrl: string;
  dbUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  /** The mail catcher's web page + Mailpit API (embedded stack only). */
  mailUrl?: string;
  /** The mail catcher's SMTP port (embedded stack only). */
  smtpPort?: number;
  /** false when running against a real Supabase project from env vars. */
  embedded: boolean;
  /** The embedded stack's log file (it logs there, not to the terminal). */
  logFile?: string;
}
