/** The playbook knowledge base: public.match_playbooks (migrations/20261126002000_match_playbooks.sql) and playbook details. */
import type { ISql } from 'postgres';
import type { RetrievalQuery } from '../rules/retrieval-query.ts';

export interface PlaybookMatch {
  playbookId: string;
  slug: string;
  title: string;
  category: string;
  score: number;
  textRank: number;
  tagOverlap: number;
  matchedTags: string[];
}

/** Default number of playbooks recommended per alert. */
export const DEFAULT_TOP_K = 3;

export async function searchPlaybooks(sql: ISql, q: RetrievalQuery, k = DEFAULT_TOP_K): Promise<PlaybookMatch[]> {
  const rows = await sql<Array<{ playbook_id: string; slug: string; title: string; category: string; score: number; text_rank: number; tag_overlap: number; matched_tags: string[] }>>`
    select playbook_id, slug, title, category, score, text_rank, tag_overlap, matched_tags
      from public.match_playbooks(${q.text}, ${q.category}, ${q.severity}::public.severity, ${q.tags}::text[], ${q.orgId}::uuid, ${k})`;
  return rows.map((r) => ({
    playbookId: r.playbook_id, slug: r.slug, title: r.title, category: r.category, score: r.score,
    textRank: r.text_rank, tagOverlap: r.tag_overlap, matchedTags: r.matched_tags,
  }));
}

/** Summary and steps of the given playbooks. */
export async function playbookDetails(sql: ISql, ids: string[]): Promise<Map<string, { summary: string; steps: string[] }>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<Array<{ id: string; summary: string; steps: unknown }>>`select id, summary, steps from public.playbooks where id = any(${ids}::uuid[])`;
  return new Map(rows.map((r) => [r.id, { summary: r.summary, steps: Array.isArray(r.steps) ? r.steps.map(String) : [] }]));
}
