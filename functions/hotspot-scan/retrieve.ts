/**
 * Recommendations for one alert revision: retrieve playbooks (store/playbooks.ts),
 * describe each (rules/recommend.ts) and optionally let the LLM rephrase the rationale.
 */
import type { ISql } from 'postgres';
import type { Phraser } from './llm.ts';
import type { ScanConfig } from './rules/config.ts';
import type { RecommendationRequest } from './rules/plan.ts';
import { recommendationText, type PlaybookDetails } from './rules/recommend.ts';
import { queryFromAlert } from './rules/retrieval-query.ts';
import { playbookDetails, searchPlaybooks } from './store/playbooks.ts';
import type { PreparedRecommendation } from './store/write.ts';

export async function prepareRecommendations(
  sql: ISql, orgId: string, req: RecommendationRequest, cfg: ScanConfig, phraser: Phraser | null,
): Promise<PreparedRecommendation[]> {
  const q = queryFromAlert({ orgId, category: req.category, severity: req.severity, tags: req.text.tags, description: req.text.description });
  const matches = await searchPlaybooks(sql, q, cfg.topK);
  const details = await playbookDetails(sql, matches.map((m) => m.playbookId));
  const out: PreparedRecommendation[] = [];
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const d = details.get(m.playbookId) ?? { summary: '', steps: [] };
    const pb: PlaybookDetails = { playbookId: m.playbookId, slug: m.slug, title: m.title, summary: d.summary, steps: d.steps, score: m.score, textRank: m.textRank, matchedTags: m.matchedTags };
    const t = recommendationText(req.facts, pb, i + 1, matches.length);
    const phrased = phraser ? await phraser.phrase({ alert: req.text, playbook: pb, rationale: t.rationale }) : null;
    out.push({ playbookId: m.playbookId, rank: i + 1, score: m.score, action: t.action, rationale: phrased ?? t.rationale, citations: t.citations });
  }
  return out;
}

/** Key of one recommendation set: (hotspot, revision). */
export const recommendationKey = (req: Pick<RecommendationRequest, 'hotspotKey' | 'revision'>): string => `${req.hotspotKey}#${req.revision}`;
