/**
 * The CSP source that admits the printable report's one inline <style> (html.ts): the report
 * opens from a blob URL and inherits the dashboard's policy (CSP Level 3: a blob document takes
 * its creator's policy container). Node only (the stack and tools/map-csp), never bundled.
 */
import { createHash } from 'node:crypto';
import { REPORT_CSS } from './html.ts';

export const REPORT_STYLE_SOURCE = `'sha256-${createHash('sha256').update(REPORT_CSS).digest('base64')}'`;
