/**
 * A list that rebuilds only the items whose row version changed and keeps keyboard
 * focus where it was when an item under it is rebuilt (live updates must not throw an
 * operator's focus back to the top of the page).
 */
export interface KeyedList<T> {
  update(items: readonly T[]): void;
}

export function keyedList<T>(container: HTMLElement, opts: {
  key(item: T): number;
  /** Anything that changes when the item must be redrawn (row version, UI state). */
  stamp(item: T): string;
  render(item: T): HTMLElement;
}): KeyedList<T> {
  const shown = new Map<number, { stamp: string; el: HTMLElement }>();
  return {
    update(items) {
      const active = document.activeElement;
      let restore: { el: HTMLElement; focusKey: string | null } | null = null;
      const next = new Map<number, { stamp: string; el: HTMLElement }>();
      for (const item of items) {
        const k = opts.key(item);
        const stamp = opts.stamp(item);
        const prev = shown.get(k);
        if (prev && prev.stamp === stamp) {
          next.set(k, prev);
          continue;
        }
        const el = opts.render(item);
        if (prev && active instanceof HTMLElement && prev.el.contains(active)) {
          restore = { el, focusKey: active.closest<HTMLElement>('[data-focus-key]')?.dataset.focusKey ?? null };
        }
        next.set(k, { stamp, el });
      }
      // Reorder with as few moves as possible: walk the wanted order, move only misplaced nodes.
      let cursor: ChildNode | null = container.firstChild;
      for (const item of items) {
        const { el } = next.get(opts.key(item))!;
        if (el === cursor) { cursor = cursor.nextSibling; continue; }
        container.insertBefore(el, cursor);
      }
      while (cursor) {
        const after: ChildNode | null = cursor.nextSibling;
        cursor.remove();
        cursor = after;
      }
      shown.clear();
      for (const [k, v] of next) shown.set(k, v);
      if (restore) {
        const target = (restore.focusKey && restore.el.querySelector<HTMLElement>(`[data-focus-key="${restore.focusKey}"]:not([disabled])`)) || restore.el;
        if (target === restore.el && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
        target.focus({ preventScroll: true });
      }
    },
  };
}
