/** Accessibility checks shared by the dashboard tests: axe-core (serious and critical only) and a Tab walk. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../../stack/src/config.ts';

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }

let axeSource: string | undefined;
export async function axe(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await fs.readFile(path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Tab from the top of the page; answer the focusable controls that were never reached. */
export async function unreachableByKeyboard(page: Page): Promise<string[]> {
  const total = await page.evaluate(() => {
    const sel = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const els = [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      // The content of a closed <details> is not rendered, so not focusable until opened.
      const closed = el.closest('details:not([open])');
      const inClosed = closed !== null && !closed.querySelector(':scope > summary')?.contains(el);
      return !el.closest('[hidden]') && !inClosed && style.visibility !== 'hidden' && style.display !== 'none' && (r.width > 0 || r.height > 0 || el.classList.contains('skip-link'));
    });
    els.forEach((el, i) => el.setAttribute('data-kbd', String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    return els.length;
  });
  const seen = new Set<string>();
  // Some controls take several Tabs (a datetime-local input tabs through its fields), so
  // allow three per control and stop as soon as every one was reached.
  for (let i = 0; i < total * 3 + 10 && seen.size < total; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('data-kbd') ?? null);
    if (k !== null) seen.add(k);
  }
  // A radio group is one Tab stop (its other buttons are reached with the arrow keys, as the
  // platform defines it): a group counts as reached when one of its buttons was.
  return page.evaluate((reached) => {
    const radioGroup = (el: Element): string | null => (el instanceof HTMLInputElement && el.type === 'radio' && el.name ? el.name : null);
    const reachedGroups = new Set([...document.querySelectorAll<HTMLElement>('[data-kbd]')]
      .filter((el) => reached.includes(el.getAttribute('data-kbd')!)).map(radioGroup).filter((g) => g !== null));
    return [...document.querySelectorAll<HTMLElement>('[data-kbd]')]
    .filter((el) => !reached.includes(el.getAttribute('data-kbd')!) && !reachedGroups.has(radioGroup(el) ?? '\u0000'))
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}"`);
  }, [...seen]);
}
