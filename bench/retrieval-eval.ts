/**
 * Retrieval evaluation on tests/fixtures/retrieval/qrels.json, shared by
 * bench/retrieval.bench.ts and the regression test. Template queries are rendered by
 * the scan's own code (describeAlert → queryFromAlert), so what is measured is what
 * the scan sends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { queryFromAlert, queryFromText, type RetrievalQuery } from '../functions/hotspot-scan/rules/retrieval-query.ts';
import { searchPlaybooks } from '../functions/hotspot-scan/store/playbooks.ts';
import { describeAlert, type AlertFacts } from '../functions/hotspot-scan/rules/describe.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const QRELS_PATH = path.join(here, '..', 'tests', 'fixtures', 'retrieval', 'qrels.json');

export interface Qrel {
  id: string;
  kind: 'template' | 'paraphrase' | 'negative';
  alert?: AlertFacts;
  text?: string;
  relevant: string[];
}

export interface LabelledQuery extends Qrel {
  query: RetrievalQuery;
}

export function loadQueries(): LabelledQuery[] {
  const doc = JSON.parse(fs.readFileSync(QRELS_PATH, 'utf8')) as { queries: Qrel[] };
  return doc.queries.map((q) => {
    if (q.alert) {
      const t = describeAlert(q.alert);
      return { ...q, query: queryFromAlert({ orgId: null, category: q.alert.category, severity: q.alert.severity, tags: t.tags, description: t.description }) };
    }
    return { ...q, query: queryFromText(q.text ?? '') };
  });
}

/** A ranker answers slugs, best first (at most 10). */
export type Ranker = (sql: Sql, q: RetrievalQuery) => Promise<string[]>;

/** The plain full-text baseline: websearch_to_tsquery over the query text, ts_rank_cd. */
export const plainFullText: Ranker = async (sql, q) =>
  (await sql<{ slug: string }[]>`
    select p.slug from public.playbooks p, websearch_to_tsquery('english', ${q.text}) w
     where p.org_id is null and p.fts @@ w
     order by ts_rank_cd(p.fts, w) desc, p.slug limit 10`).map((r) => r.slug);

/** Full text with the query's lexemes OR-ed (no structure, no threshold). */
export const orFullText: Ranker = async (sql, q) =>
  (await sql<{ slug: string }[]>`
    select p.slug from public.playbooks p,
           (select nullif(replace(plainto_tsquery('english', ${q.text})::text, ' & ', ' | '), '')::tsquery as q) x
     where p.org_id is null and p.fts @@ x.q
     order by ts_rank_cd(p.fts, x.q) desc, p.slug limit 10`).map((r) => r.slug);

/** OR-ed full text fused (RRF, k = 60) with trigram word similarity of the title. */
export const orFullTextTrigram: Ranker = async (sql, q) =>
  (await sql<{ slug: string }[]>`
    with x as (select nullif(replace(plainto_tsquery('english', ${q.text})::text, ' & ', ' | '), '')::tsquery as q),
    t as (select p.slug, row_number() over (order by ts_rank_cd(p.fts, x.q) desc, p.slug) as rn
            from public.playbooks p, x where p.org_id is null and p.fts @@ x.q),
    g as (select p.slug, row_number() over (order by extensions.word_similarity(p.title, ${q.text}) desc, p.slug) as rn
            from public.playbooks p where p.org_id is null and extensions.word_similarity(p.title, ${q.text}) > 0.3)
    select coalesce(t.slug, g.slug) as slug from t full outer join g on g.slug = t.slug
     order by coalesce(1.0 / (60 + t.rn), 0) + coalesce(1.0 / (60 + g.rn), 0) desc, 1 limit 10`).map((r) => r.slug);

/** The product's ranker: public.match_playbooks as the scan calls it. */
export const chosen: Ranker = async (sql, q) => (await searchPlaybooks(sql, q, 10)).map((m) => m.slug);

export interface Evaluation {
  /** Mean over template + paraphrase queries. */
  recallAt3: number;
  mrr: number;
  recallAt3Template: number;
  recallAt3Paraphrase: number;
  /** Fraction of negative queries answered with no playbook at all. */
  negativeAbstention: number;
  perQuery: Array<{ id: string; kind: string; top: string[]; recallAt3: number | null; reciprocalRank: number | null }>;
}

export async function evaluate(sql: Sql, ranker: Ranker, queries: LabelledQuery[] = loadQueries()): Promise<Evaluation> {
  const perQuery: Evaluation['perQuery'] = [];
  const sums = { template: [0, 0], paraphrase: [0, 0] } as Record<string, [number, number]>;
  let mrr = 0;
  let judged = 0;
  let negatives = 0;
  let abstained = 0;
  for (const q of queries) {
    const top = await ranker(sql, q.query);
    if (q.kind === 'negative') {
      negatives++;
      if (top.length === 0) abstained++;
      perQuery.push({ id: q.id, kind: q.kind, top: top.slice(0, 3), recallAt3: null, reciprocalRank: null });
      continue;
    }
    const rel = new Set(q.relevant);
    const r3 = top.slice(0, 3).filter((s) => rel.has(s)).length / Math.min(rel.size, 3);
    const first = top.findIndex((s) => rel.has(s));
    const rr = first >= 0 ? 1 / (first + 1) : 0;
    sums[q.kind]![0] += r3;
    sums[q.kind]![1]++;
    mrr += rr;
    judged++;
    perQuery.push({ id: q.id, kind: q.kind, top: top.slice(0, 3), recallAt3: r3, reciprocalRank: rr });
  }
  const mean = ([s, n]: [number, number]): number => (n ? s / n : 0);
  return {
    recallAt3: (sums.template![0] + sums.paraphrase![0]) / judged,
    mrr: mrr / judged,
    recallAt3Template: mean(sums.template!),
    recallAt3Paraphrase: mean(sums.paraphrase!),
    negativeAbstention: negatives ? abstained / negatives : 1,
    perQuery,
  };
}
