/**
 * Stream writes the way the product makes them: transactions that update hotspots, alerts
 * and recommendations together (as a scan or a decision does), every trigger in place
 * (version stamp, Broadcast from Database, alert lifecycle/notifications), committed with
 * the server's default synchronous_commit — as the edge functions commit.
 */
import type { Sql } from 'postgres';
import type { Chain } from '../tests/integration/sdk/helpers.ts';

export type { Chain };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LoadOptions {
  /** Row changes per second in total. */
  rate: number;
  /** Concurrent writer connections, each on its own share of every org's chains. */
  writers: number;
  /** Row changes gathered before a transaction is written (at most 60). */
  perTransaction: number;
}

/**
 * Writes `rate` row changes per second over the chains (grouped by org: one transaction
 * touches one org's rows, as a scan does) until stopped; `onCommit` sees each transaction's
 * hotspot (id, version) pairs after commit.
 */
export function startLoad(sql: Sql, orgs: Chain[][], opts: LoadOptions, onCommit: (pairs: Array<[number, number]>, at: number) => void = () => {}): { stop(): Promise<number> } {
  let stopped = false;
  const streams = ['hotspots', 'alerts', 'recommendations'] as const;
  const loop = async (part: Chain[][]): Promise<number> => {
    const start = Date.now();
    let done = 0;
    while (!stopped) {
      const due = Math.floor((opts.rate / opts.writers) * (Date.now() - start) / 1000) - done;
      if (due < Math.min(opts.perTransaction, 60)) { await sleep(2); continue; }
      const chains = part[Math.floor(Math.random() * part.length)]!;
      const ids = { hotspots: new Set<number>(), alerts: new Set<number>(), recommendations: new Set<number>() };
      for (let i = 0; i < Math.min(due, 60); i++) {
        const c = chains[Math.floor(Math.random() * chains.length)]!;
        const s = streams[i % 3]!;
        ids[s].add(s === 'hotspots' ? c.hotspot : s === 'alerts' ? c.alert : c.recommendation);
      }
      try {
        const pairs = await sql.begin(async (tx) => {
          const h = await tx<{ id: string; version: number }[]>`update public.hotspots set observed = observed + 1 where id = any(${[...ids.hotspots]}) returning id, version`;
          await tx`update public.alerts set notify_count = notify_count + 1 where id = any(${[...ids.alerts]})`;
          await tx`update public.recommendations set score = score + 1 where id = any(${[...ids.recommendations]})`;
          return h.map((r) => [Number(r.id), r.version] as [number, number]);
        });
        onCommit(pairs, performance.now());
        done += ids.hotspots.size + ids.alerts.size + ids.recommendations.size;
      } catch (e) {
        if ((e as { code?: string }).code !== '40P01') throw e;
      }
    }
    return done;
  };
  // Writer w takes every writers-th chain of each org: no two writers share a row.
  const parts: Chain[][][] = Array.from({ length: opts.writers }, (_, w) => orgs.map((cs) => cs.filter((_, i) => i % opts.writers === w)));
  const running = Promise.all(parts.map(loop));
  return {
    async stop() {
      stopped = true;
      return (await running).reduce((a, b) => a + b, 0);
    },
  };
}
