import { describe, expect, it } from 'vitest';
import { DEMO_EVENT_SOURCE, hasDemoEvents } from '../../../functions/_shared/demo.ts';
import { DEMO_SOURCE } from '../../../dashboard/src/demo-data.ts';

describe('demo events', () => {
  it('the functions know the dashboard generator\'s source', () => {
    expect(DEMO_EVENT_SOURCE).toBe(DEMO_SOURCE);
  });
  it('a batch with any demo event is a demo batch', () => {
    expect(hasDemoEvents([{ source: 'cad' }, { source: DEMO_SOURCE }])).toBe(true);
    expect(hasDemoEvents([{ source: 'cad' }, null, 3, { source: 'hotwatch-demo-x' }])).toBe(false);
  });
});
