/** A category as the org names and colours it (org settings): a swatch and the label, the swatch hidden from screen readers. */
import { h } from './dom.ts';
import { display } from './org-display.ts';

export function categoryChip(key: string): HTMLElement {
  const colour = display.colour(key);
  let swatch: HTMLElement | null = null;
  if (colour) {
    swatch = h('span', { class: 'cat-swatch', 'aria-hidden': 'true' });
    // Through the CSSOM: the page's CSP (style-src 'self') refuses inline style attributes.
    swatch.style.backgroundColor = colour;
  }
  return h('span', { class: 'cat-chip', 'data-category': key }, swatch, display.label(key));
}
