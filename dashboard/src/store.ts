/**
 * The latest version of each row of one stream, fed by the SDK's subscription, with a
 * single coalesced re-render per animation frame however many changes arrive.
 */
import type { RowEvent } from './api.ts';

export class RowStore<T extends { id: number; version: number }> {
  private readonly rows = new Map<number, T>();
  private readonly listeners = new Set<(rows: readonly T[]) => void>();
  private scheduled = false;

  apply(ev: RowEvent<T>): void {
    if (ev.type === 'upsert') {
      const prev = this.rows.get(ev.row.id);
      // The SDK already orders versions; this keeps the store safe on its own.
      if (prev && prev.version >= ev.row.version) return;
      this.rows.set(ev.row.id, ev.row);
    } else {
      this.rows.delete(ev.id);
    }
    this.schedule();
  }

  get(id: number): T | undefined {
    return this.rows.get(id);
  }

  all(): T[] {
    return [...this.rows.values()];
  }

  clear(): void {
    this.rows.clear();
    this.schedule();
  }

  onChange(cb: (rows: readonly T[]) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      const rows = this.all();
      for (const cb of this.listeners) cb(rows);
    };
    // rAF does not run in background tabs; a timer keeps hidden dashboards current too.
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') requestAnimationFrame(run);
    else setTimeout(run, 50);
  }
}
