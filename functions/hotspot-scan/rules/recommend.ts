/**
 * Recommendation text for one retrieved playbook: an action, a deterministic
 * rationale that says why this playbook was chosen for this alert, and citations
 * (the playbook and its steps), so every recommendation is traceable to the
 * knowledge base. An optional LLM may rephrase the rationale (llm.ts).
 */
import { categoryLabel } from './category-labels.ts';
import type { AlertFacts } from './describe.ts';

export interface PlaybookDetails {
  playbookId: string;
  slug: string;
  title: string;
  summary: string;
  steps: string[];
  score: number;
  textRank: number;
  matchedTags: string[];
}

export interface Citation {
  playbook_id: string;
  slug: string;
  title: string;
  summary: string;
  steps: string[];
  matched_tags: string[];
  text_rank: number;
  score: number;
}

export interface RecommendationText {
  action: string;
  rationale: string;
  citations: Citation[];
}

const num = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '∞');

export function recommendationText(facts: AlertFacts, p: PlaybookDetails, rank: number, of: number): RecommendationText {
  const label = facts.label ?? categoryLabel(facts.category);
  const parts = [
    `Recommended for this ${facts.severity}-severity ${label} alert (${facts.observed} events against ${num(facts.expected)} expected ` +
      `across ${facts.cells} ${facts.cells === 1 ? 'cell' : 'cells'} in the last ${facts.durationHours} h).`,
    `"${p.title}" is written for ${label} alerts at ${facts.severity} severity`,
  ];
  parts[1] += p.matchedTags.length ? ` and shares the alert's ${p.matchedTags.join(', ')} ${p.matchedTags.length === 1 ? 'tag' : 'tags'};` : ';';
  parts.push(`it ranks ${rank} of ${of} by relevance to the alert description.`);
  if (p.steps[0]) parts.push(`First step: ${p.steps[0]}`);
  return {
    action: `Follow playbook "${p.title}"`,
    rationale: parts.join(' '),
    citations: [{
      playbook_id: p.playbookId, slug: p.slug, title: p.title, summary: p.summary, steps: p.steps,
      matched_tags: p.matchedTags, text_rank: Math.round(p.textRank * 1000) / 1000, score: Math.round(p.score * 1e6) / 1e6,
    }],
  };
}
