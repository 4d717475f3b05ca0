import { describe, expect, it } from 'vitest';
import { fieldOfError, fieldsFromForm, formFromPlaybook } from '../../../dashboard/src/playbook-form.ts';

describe('playbook form ⇄ function fields', () => {
  it('splits tags on commas and steps on lines, trimming and dropping blanks; severities in rank order', () => {
    expect(fieldsFromForm({
      title: ' Pump out ', category: 'flood ', severities: ['critical', 'low'], tags: ' basement, ,pumps ',
      summary: 's', body: 'b', steps: 'one\n\n  two  \n',
    })).toEqual({ title: 'Pump out', category: 'flood', severities: ['low', 'critical'], tags: ['basement', 'pumps'], summary: 's', body: 'b', steps: ['one', 'two'] });
  });
  it('round-trips a stored playbook', () => {
    const p = { title: 'T', category: 'fire', severities: ['high' as const], tags: ['a', 'b'], summary: 's', body: 'b', steps: ['x', 'y'] };
    expect(fieldsFromForm(formFromPlaybook(p))).toEqual(p);
  });
  it('maps server field paths to the control that holds them', () => {
    expect(fieldOfError('playbook.steps[2]')).toBe('steps');
    expect(fieldOfError('playbook.severities[0]')).toBe('severities');
    expect(fieldOfError('playbook.colour')).toBeNull();
    expect(fieldOfError('org_id')).toBeNull();
  });
});
