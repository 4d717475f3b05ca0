/**
 * PostgREST's fuzzy matching (Data.FuzzySet): n-gram cosine on normalised strings,
 * trying 3-grams then 2-grams, then re-scored by Levenshtein similarity; the best
 * candidate at or above `minScore` (0.75 for names, 0.33 for parameter lists).
 */
export function closest(name: string, candidates: string[], minScore = 0.75): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}\s,]/gu, '');
  const grams = (s: string, n: number): Map<string, number> => {
    const t = `-${s}-`;
    const m = new Map<string, number>();
    for (let i = 0; i + n <= t.length; i++) { const g = t.slice(i, i + n); m.set(g, (m.get(g) ?? 0) + 1); }
    return m;
  };
  const cosine = (a: Map<string, number>, b: Map<string, number>): number => {
    let dot = 0; let na = 0; let nb = 0;
    for (const [g, v] of a) { na += v * v; dot += v * (b.get(g) ?? 0); }
    for (const v of b.values()) nb += v * v;
    return na && nb ? dot / Math.sqrt(na * nb) : 0;
  };
  const q = norm(name);
  let matched: Array<{ c: string; score: number }> = [];
  for (const n of [3, 2]) {
    const qg = grams(q, n);
    matched = candidates.map((c) => ({ c, score: cosine(qg, grams(norm(c), n)) })).filter((m) => m.score > 0);
    if (matched.length) break;
  }
  const rescored = matched.sort((a, b) => b.score - a.score).slice(0, 50).map(({ c }) => {
    const nc = norm(c);
    const longest = Math.max(nc.length, q.length);
    return { c, score: longest === 0 ? 1 : 1 - levenshtein(q, nc) / longest };
  }).filter((m) => m.score >= minScore);
  rescored.sort((a, b) => b.score - a.score);
  return rescored[0]?.c;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

