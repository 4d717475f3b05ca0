/** One measured figure, printed and written to the results file beside its gate. */
export interface BenchFigure {
  metric: string;
  value: number;
  unit: string;
  /** Human-readable gate, e.g. "≤ 1.5 s CPU" or "≥ 0.5 × raw". */
  gate?: string;
  pass?: boolean;
  /** The floor measured in the same run (raw PostgreSQL, raw ws, …). */
  floor?: number;
  /** Published anchor (e.g. Supabase's benchmark figure) for context. */
  anchor?: string;
}

export interface BenchResult {
  name: string;
  figures: BenchFigure[];
  notes?: string[];
}

export interface BenchModule {
  run(): Promise<BenchResult>;
}
