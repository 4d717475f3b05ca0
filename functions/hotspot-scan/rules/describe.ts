/**
 * The alert's words: title, description and tags, rendered from a hotspot's numbers by
 * one template. The same text is what operators read and what playbook retrieval
 * searches with (retrieval-query.ts), so the retrieval benchmark's template queries
 * (tests/fixtures/retrieval/qrels.json) are produced by exactly this function.
 */
import type { Severity } from '../../_shared/vocabulary.ts';
import { categoryLabel } from './category-labels.ts';

/** new: first detection; ongoing: re-detected, no growth; growing: more cases or cells; escalated: severity rose. */
export type AlertTrend = 'new' | 'ongoing' | 'growing' | 'escalated';

export interface AlertFacts {
  category: string;
  severity: Severity;
  observed: number;
  expected: number;
  relativeRisk: number;
  /** Number of H3 cells in the cluster. */
  cells: number;
  radiusM: number;
  /** Window length in hours. */
  durationHours: number;
  recurrenceIntervalDays: number;
  pValue: number;
  trend: AlertTrend;
  centerCell: string;
  /** The org's label for the category (org_settings.categories); the default label when absent. */
  label?: string;
  /** Where, in words (rules/places.ts): "in Kralingen", "1.2 km NE of Kralingen". */
  place?: string;
  /** When the window started, as local clock text with its zone: "14:00 Europe/Amsterdam". */
  since?: string;
}

export interface AlertText {
  title: string;
  description: string;
  tags: string[];
}

const TREND_SENTENCE: Record<AlertTrend, string> = {
  new: 'Newly detected emerging cluster.',
  ongoing: 'Ongoing cluster, re-detected without growth.',
  growing: 'Growing cluster: more events or cells than at the last notification.',
  escalated: 'Escalating cluster: severity has risen since the last notification.',
};

/** Descriptive tags: trend, spatial extent and tempo (also matched against playbook tags). */
export function alertTags(f: Pick<AlertFacts, 'trend' | 'cells' | 'durationHours' | 'severity'>): string[] {
  const tags: string[] = [];
  tags.push(f.trend === 'new' ? 'emerging' : f.trend === 'ongoing' ? 'persistent' : 'escalating');
  tags.push(f.cells >= 7 ? 'widespread' : 'localized');
  tags.push(f.durationHours <= 1 ? 'sudden' : 'sustained');
  if (f.severity === 'high' || f.severity === 'critical') tags.push('surge');
  return tags;
}

const round = (x: number, d: number): string => (Number.isFinite(x) ? x.toFixed(d) : '∞');
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export function formatRecurrence(days: number): string {
  if (!Number.isFinite(days) || days >= 36_500) return 'more than 100 years';
  if (days >= 730) return `${Math.round(days / 365)} years`;
  if (days >= 1) return `${Math.round(days)} days`;
  return `${Math.max(1, Math.round(days * 24))} hours`;
}

/**
 * Title: "Flooding in Kralingen: 40 events in 1 cell over the last 2 h". The H3 cells
 * stay in the alert's details (centre, cells), never in the words.
 */
export function describeAlert(f: AlertFacts): AlertText {
  const label = f.label ?? categoryLabel(f.category);
  const place = f.place ? ` ${f.place}` : '';
  const km = f.radiusM / 1000;
  const cells = `${f.cells} ${f.cells === 1 ? 'cell' : 'cells'}`;
  const title = `${capital(label)}${place}: ${f.observed} events in ${cells} over the last ${f.durationHours} h`;
  const description =
    `${capital(f.severity)}-severity ${label} cluster${place}: ${f.observed} ${label} events against ${round(f.expected, 1)} expected ` +
    `(${round(f.relativeRisk, 1)}× normal) across ${f.cells} H3 ${f.cells === 1 ? 'cell' : 'cells'} within ${round(km, 1)} km of its centre ` +
    `over the last ${f.durationHours} ${f.durationHours === 1 ? 'hour' : 'hours'}${f.since ? ` (since ${f.since})` : ''}. ` +
    `A cluster this strong arises by chance about once every ${formatRecurrence(f.recurrenceIntervalDays)} (${f.pValue < 0.001 ? 'p < 0.001' : `p = ${round(f.pValue, 3)}`}). ` +
    TREND_SENTENCE[f.trend];
  return { title, description, tags: alertTags(f) };
}
