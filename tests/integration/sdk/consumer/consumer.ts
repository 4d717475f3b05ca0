// A user's TypeScript on the packed @hotwatch/client, type-checked with `tsc --strict`
// (module nodenext) in a fresh project: the shipped .d.ts files, including the generated
// Database types and the react subpath, must give typed rows and reject wrong use.
import { createClient } from '@supabase/supabase-js';
import { ConflictError, createHotwatch, type AlertRow, type Database, type Severity, type StreamEvent } from '@hotwatch/client';
import { useHotwatchStream } from '@hotwatch/client/react';

const supabase = createClient<Database>('http://127.0.0.1:54321', 'anon-key');
const hw = createHotwatch(supabase);
const firing = new Map<number, AlertRow>();
const stop: () => Promise<void> = hw.subscribe('alerts', (e: StreamEvent<'alerts'>) => {
  if (e.type === 'upsert') firing.set(e.row.id, e.row);
  if (e.type === 'removed') firing.delete(e.id);
}, { orgId: 'org', status: ['firing'], severity: ['high', 'critical'] });
const severity: Severity | undefined = [...firing.values()][0]?.severity;
const { data } = await supabase.from('hotspots').select('id, severity').limit(1);
const first: Severity | undefined = data?.[0]?.severity;
try {
  await hw.approve(1, 'crews available');
} catch (e) {
  if (e instanceof ConflictError) console.log(e.code);
}
export const rowCount = (): number => useHotwatchStream(hw, 'hotspots', { orgId: 'org' }).rows.length;

// Each line below must fail to type-check (an unused @ts-expect-error is itself an error).
// @ts-expect-error not a stream
hw.subscribe('incidents', () => {});
// @ts-expect-error recommendations are approved or rejected, not 'firing'
hw.subscribe('recommendations', () => {}, { status: ['firing'] });
// @ts-expect-error ids are numbers (rows typed from the generated Database types)
const wrong: string = [...firing.values()][0]!.id;

export { first, severity, stop, wrong };
