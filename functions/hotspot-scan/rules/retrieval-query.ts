/**
 * The playbook retrieval query for an alert: structured facts (category, severity,
 * tags) and free text (the alert's description, with the category label, severity
 * and tags in words, so a pure text ranker sees them too). public.match_playbooks
 * ranks with both; see docs/functions.md "Playbook retrieval".
 */
import type { Severity } from '../../_shared/vocabulary.ts';
import { categoryLabel } from './category-labels.ts';

export interface RetrievalQuery {
  /** The org whose own playbooks are searched besides the global ones (null: global only). */
  orgId: string | null;
  /** Event category; null for free-text search. */
  category: string | null;
  severity: Severity | null;
  tags: string[];
  text: string;
}

export interface AlertForRetrieval {
  orgId: string | null;
  category: string;
  severity: Severity;
  tags: ReadonlyArray<string>;
  description: string;
}

/** Longest query text passed to PostgreSQL (the description template stays far below). */
export const MAX_QUERY_CHARS = 2000;

export function queryFromAlert(a: AlertForRetrieval): RetrievalQuery {
  const words = [categoryLabel(a.category), `${a.severity} severity`, ...a.tags.map((t) => t.replace(/[-_]/g, ' ')), a.description];
  return {
    orgId: a.orgId,
    category: a.category,
    severity: a.severity,
    tags: [...a.tags],
    text: words.join('. ').slice(0, MAX_QUERY_CHARS),
  };
}

/** An operator's search box: text only. */
export function queryFromText(text: string, orgId: string | null = null): RetrievalQuery {
  return { orgId, category: null, severity: null, tags: [], text: text.slice(0, MAX_QUERY_CHARS) };
}
