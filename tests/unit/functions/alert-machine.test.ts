import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openAlert, stepAlert, type AlertInput, type AlertSnapshot } from '../../../functions/hotspot-scan/rules/alert-machine.ts';
import { SEVERITY_RANK, type Severity } from '../../../functions/_shared/vocabulary.ts';
import { DEFAULT_SCAN_CONFIG } from '../../../functions/hotspot-scan/rules/config.ts';

const cfg = DEFAULT_SCAN_CONFIG;
const T0 = Date.parse('2026-11-26T10:00:00Z');
const MIN = 60_000;
const det = (severity: Severity, observed = 10, cells = 3): AlertInput => ({ kind: 'detected', severity, observed, cells });

function run(start: AlertSnapshot, inputs: Array<[number, AlertInput]>) {
  let s = start;
  const steps = [];
  for (const [t, input] of inputs) {
    const st = stepAlert(s, input, cfg, t);
    steps.push(st);
    s = st.next;
  }
  return { s, steps };
}

describe('alert state machine', () => {
  it('opens pending below the immediate tier and fires after a second spaced detection', () => {
    const o = openAlert(det('medium') as Extract<AlertInput, { kind: 'detected' }>, cfg, T0);
    expect(o).toMatchObject({ next: { state: 'pending', consecutiveDetections: 1, notifyCount: 0 }, notify: false, recommend: false });
    // A burst of scans 5 s later is the same look: nothing changes, nothing written.
    const burst = stepAlert(o.next, det('medium'), cfg, T0 + 5000);
    expect(burst).toMatchObject({ changed: false, next: { state: 'pending', consecutiveDetections: 1 } });
    const fired = stepAlert(o.next, det('medium'), cfg, T0 + MIN);
    expect(fired).toMatchObject({ next: { state: 'firing', notifyCount: 1, notifiedObserved: 10, notifiedSeverity: 'medium' }, notify: true, recommend: true, reason: 'confirmed' });
  });

  it('fires at once from the high tier up', () => {
    for (const sev of ['high', 'critical'] as const) {
      const o = openAlert({ kind: 'detected', severity: sev, observed: 30, cells: 7 }, cfg, T0);
      expect(o).toMatchObject({ next: { state: 'firing', notifyCount: 1 }, notify: true, recommend: true });
    }
  });

  it('a quiet scan resets a pending alert (it must be seen twice in a row)', () => {
    const o = openAlert({ kind: 'detected', severity: 'low', observed: 5, cells: 1 }, cfg, T0).next;
    const { s, steps } = run(o, [[T0 + MIN, { kind: 'quiet' }], [T0 + 2 * MIN, det('low')], [T0 + 3 * MIN, det('low')]]);
    expect(steps[0]).toMatchObject({ changed: true, reason: 'reset', next: { consecutiveDetections: 0 } });
    expect(steps[1]).toMatchObject({ next: { state: 'pending', consecutiveDetections: 1 }, notify: false });
    expect(steps[2]).toMatchObject({ next: { state: 'firing' }, notify: true });
    expect(s.notifyCount).toBe(1);
  });

  it('re-notifies a firing alert only on growth or escalation', () => {
    const fired = openAlert({ kind: 'detected', severity: 'high', observed: 20, cells: 7 }, cfg, T0).next;
    const { steps } = run(fired, [
      [T0 + MIN, det('high', 21, 7)], // +1 case: no
      [T0 + 2 * MIN, det('medium', 22, 7)], // lower tier: severity holds, no
      [T0 + 3 * MIN, det('high', 25, 7)], // +5 = 25 %: grew
      [T0 + 4 * MIN, det('high', 26, 19)], // more cells: grew
      [T0 + 5 * MIN, det('critical', 26, 19)], // escalation
      [T0 + 6 * MIN, det('critical', 26, 19)], // nothing new
    ]);
    expect(steps.map((s) => s.reason)).toEqual([null, null, 'grew', 'grew', 'escalated', null]);
    expect(steps.map((s) => s.notify)).toEqual([false, false, true, true, true, false]);
    expect(steps.map((s) => s.recommend)).toEqual([false, false, false, false, true, false]);
    expect(steps[1]!.next.severity).toBe('high');
    expect(steps[5]!.next).toMatchObject({ notifyCount: 4, notifiedSeverity: 'critical' });
  });

  it('acknowledged alerts stay quiet on growth but re-fire on escalation', () => {
    const acked: AlertSnapshot = { ...openAlert({ kind: 'detected', severity: 'medium', observed: 10, cells: 3 }, { ...cfg, fireAfterDetections: 1 }, T0).next, state: 'acknowledged' };
    const grow = stepAlert(acked, det('medium', 40, 19), cfg, T0 + MIN);
    expect(grow).toMatchObject({ notify: false, changed: false });
    const esc = stepAlert(acked, det('high', 40, 19), cfg, T0 + MIN);
    expect(esc).toMatchObject({ next: { state: 'firing', severity: 'high', notifyCount: 2 }, notify: true, recommend: true, reason: 'escalated' });
  });

  it('an alert acknowledged while pending escalates against its own tier', () => {
    const pend = openAlert({ kind: 'detected', severity: 'low', observed: 4, cells: 1 }, cfg, T0).next;
    const acked = { ...pend, state: 'acknowledged' as const };
    expect(stepAlert(acked, det('low', 9, 3), cfg, T0 + MIN).changed).toBe(false);
    expect(stepAlert(acked, det('medium', 9, 3), cfg, T0 + MIN)).toMatchObject({ reason: 'escalated', next: { state: 'firing' } });
  });

  it('resolves only with its hotspot; quiet scans never resolve it; resolved is terminal', () => {
    const fired = openAlert({ kind: 'detected', severity: 'high', observed: 20, cells: 7 }, cfg, T0).next;
    expect(stepAlert(fired, { kind: 'quiet' }, cfg, T0 + MIN)).toMatchObject({ changed: false, next: { state: 'firing' } });
    const res = stepAlert(fired, { kind: 'hotspot_resolved' }, cfg, T0 + MIN);
    expect(res).toMatchObject({ changed: true, next: { state: 'resolved' }, notify: false });
    expect(stepAlert(res.next, det('critical'), cfg, T0 + 2 * MIN).changed).toBe(false);
  });

  it('properties: severity never decreases, notify_count never decreases, a notification always records what was notified', () => {
    const sev = fc.constantFrom<Severity>('low', 'medium', 'high', 'critical');
    const input = fc.oneof(
      fc.record({ kind: fc.constant('detected' as const), severity: sev, observed: fc.integer({ min: 2, max: 200 }), cells: fc.integer({ min: 1, max: 37 }) }),
      fc.constant({ kind: 'quiet' as const }),
    );
    fc.assert(fc.property(sev, fc.array(fc.tuple(input, fc.integer({ min: 0, max: 5 * MIN })), { maxLength: 30 }), (s0, seq) => {
      let s = openAlert({ kind: 'detected', severity: s0, observed: 5, cells: 1 }, cfg, T0).next;
      let t = T0;
      for (const [inp, dt] of seq) {
        t += dt;
        const st = stepAlert(s, inp, cfg, t);
        expect(SEVERITY_RANK[st.next.severity]).toBeGreaterThanOrEqual(SEVERITY_RANK[s.severity]);
        expect(st.next.notifyCount).toBeGreaterThanOrEqual(s.notifyCount);
        if (st.notify) {
          expect(st.next.notifyCount).toBe(s.notifyCount + 1);
          expect(st.next.notifiedSeverity).toBe(st.next.severity);
          expect(st.next.state).toBe('firing');
        }
        if (st.recommend) expect(st.notify).toBe(true);
        if (!st.changed) expect(st.next).toEqual(s);
        s = st.next;
      }
    }));
  });
});
