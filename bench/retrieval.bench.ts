/**
 * Playbook retrieval quality on tests/fixtures/retrieval/qrels.json: recall@3 and MRR
 * of the product's ranker (public.match_playbooks) beside a plain full-text baseline
 * and two unstructured variants, in one run on one seeded database.
 */
import type { BenchFigure, BenchResult } from './types.ts';
import { benchDb, isMain, writeResult } from './bench-stack.ts';
import { chosen, evaluate, loadQueries, orFullText, orFullTextTrigram, plainFullText, type Evaluation } from './retrieval-eval.ts';

export async function run(): Promise<BenchResult> {
  const db = await benchDb('retrieval');
  try {
    const queries = loadQueries();
    const rankers = {
      'match_playbooks (chosen)': chosen,
      'plain full text (websearch_to_tsquery, baseline)': plainFullText,
      'OR-ed full text': orFullText,
      'OR-ed full text + title trigram (RRF)': orFullTextTrigram,
    };
    const evals: Record<string, Evaluation> = {};
    for (const [name, ranker] of Object.entries(rankers)) evals[name] = await evaluate(db.sql, ranker, queries);
    const base = evals['plain full text (websearch_to_tsquery, baseline)']!;
    const figures: BenchFigure[] = [];
    for (const [name, e] of Object.entries(evals)) {
      const isChosen = name.includes('chosen');
      figures.push({
        metric: `${name}: recall@3`, value: e.recallAt3, unit: '',
        ...(isChosen ? { gate: '≥ 0.9', pass: e.recallAt3 >= 0.9, floor: base.recallAt3 } : {}),
      });
      figures.push({ metric: `${name}: MRR`, value: e.mrr, unit: '', ...(isChosen ? { floor: base.mrr } : {}) });
      figures.push({ metric: `${name}: recall@3 on template queries`, value: e.recallAt3Template, unit: '' });
      figures.push({ metric: `${name}: recall@3 on paraphrases`, value: e.recallAt3Paraphrase, unit: '' });
      figures.push({ metric: `${name}: negative queries answered with nothing`, value: e.negativeAbstention, unit: 'fraction' });
    }
    const c = evals['match_playbooks (chosen)']!;
    const misses = c.perQuery.filter((p) => (p.recallAt3 !== null && p.recallAt3 < 1) || (p.kind === 'negative' && p.top.length > 0));
    const counts = { template: 0, paraphrase: 0, negative: 0 };
    for (const q of queries) counts[q.kind]++;
    const result: BenchResult = {
      name: 'retrieval',
      figures,
      notes: [
        `${queries.length} labelled queries: ${counts.template} template (every category × severity), ${counts.paraphrase} operator paraphrases, ${counts.negative} with no relevant playbook; labels committed before any ranker was written.`,
        'Floor = the plain full-text baseline in the same run.',
        `Chosen ranker misses: ${misses.map((m) => `${m.id} → [${m.top.join(', ')}]`).join('; ') || 'none'}.`,
      ],
    };
    return result;
  } finally {
    await db.close();
  }
}

if (isMain(import.meta.url)) {
  const result = await run();
  for (const f of result.figures) console.log(`${f.metric}: ${f.value.toFixed(3)} ${f.unit}${f.gate ? ` [gate ${f.gate}] ${f.pass ? 'PASS' : 'FAIL'}` : ''}`);
  for (const n of result.notes ?? []) console.log(`- ${n}`);
  await writeResult('retrieval', result);
}
