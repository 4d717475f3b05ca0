/** Calls public.match_playbooks (migrations/20261126002000_match_playbooks.sql). */
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
