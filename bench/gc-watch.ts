/** GC pauses and event-loop delay of the current process over a run (benchmark notes). */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export function watchGc(): { stop(): string } {
  const pauses: number[] = [];
  let major = 0;
  const obs = new PerformanceObserver((list) => {
    for (const en of list.getEntries()) {
      pauses.push(en.duration);
      if ((((en as unknown as { detail?: { kind?: number } }).detail?.kind) ?? 0) & 2) major++; // NODE_PERFORMANCE_GC_MAJOR
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      obs.disconnect();
      const total = pauses.reduce((a, b) => a + b, 0);
      return `${pauses.length} pauses (${major} major), ${total.toFixed(0)} ms in total, longest ${Math.max(0, ...pauses).toFixed(1)} ms`;
    },
  };
}

/** GC pauses plus event-loop delay p99/max (10 ms sampling resolution subtracted). */
export function watchProcess(): { stop(): string } {
  const gc = watchGc();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  return {
    stop: () => {
      loop.disable();
      const delay = (ns: number): string => Math.max(0, ns / 1e6 - 10).toFixed(1);
      return `GC ${gc.stop()}; event-loop delay p99/max ${delay(loop.percentile(99))}/${delay(loop.max)} ms`;
    },
  };
}
