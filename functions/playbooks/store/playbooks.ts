/**
 * The playbooks function's SQL. Writes run in the handler's transaction (with the
 * audit row); `fts` is a generated column, so the new text is searchable at commit.
 */
import type { ISql, TransactionSql } from 'postgres';
import type { PlaybookRecord } from '../../_shared/contract.ts';
import type { NewPlaybook, PlaybookChange } from '../rules/validation.ts';
import type { PlaybookStatus, PlaybookTarget } from '../rules/permissions.ts';

const COLUMNS = ['id', 'org_id', 'slug', 'title', 'category', 'tags', 'severities', 'summary', 'body', 'steps', 'status', 'created_at', 'updated_at', 'updated_by'] as const;

/** A playbook as sent (the contract's record; postgres.js reads timestamps as Date until JSON makes them ISO text). */
export type PlaybookSent = PlaybookRecord;

export async function findPlaybook(sql: ISql, id: string): Promise<PlaybookTarget | null> {
  const [r] = await sql<PlaybookTarget[]>`select org_id, status from public.playbooks where id = ${id}`;
  return r ?? null;
}

/** Lock the playbook for the transaction; its full row. */
export async function lockPlaybook(tx: TransactionSql, id: string): Promise<PlaybookSent> {
  const [r] = await tx<PlaybookSent[]>`select ${tx(COLUMNS)} from public.playbooks where id = ${id} for update`;
  return r!;
}

/** Insert; null when the org already has a playbook with this slug. */
export async function insertPlaybook(tx: TransactionSql, orgId: string, slug: string, p: NewPlaybook, actor: string | null): Promise<PlaybookSent | null> {
  const [r] = await tx<PlaybookSent[]>`
    insert into public.playbooks (org_id, slug, title, category, tags, severities, summary, body, steps, updated_by)
    select ${orgId}, ${slug}, ${p.title}, ${p.category}, ${p.tags}::text[], ${p.severities}::public.severity[],
           ${p.summary}, ${p.body}, ${JSON.stringify(p.steps)}::text::jsonb, ${actor}
     where not exists (select 1 from public.playbooks where org_id = ${orgId} and slug = ${slug})
    returning ${tx(COLUMNS)}`;
  return r ?? null;
}

export async function updatePlaybook(tx: TransactionSql, id: string, c: PlaybookChange, actor: string | null): Promise<PlaybookSent> {
  const [r] = await tx<PlaybookSent[]>`
    update public.playbooks set
      title = coalesce(${c.title ?? null}, title),
      slug = coalesce(${c.slug ?? null}, slug),
      category = coalesce(${c.category ?? null}, category),
      tags = coalesce(${c.tags ?? null}::text[], tags),
      severities = coalesce(${c.severities ?? null}::public.severity[], severities),
      summary = coalesce(${c.summary ?? null}, summary),
      body = coalesce(${c.body ?? null}, body),
      steps = coalesce(${c.steps ? JSON.stringify(c.steps) : null}::text::jsonb, steps),
      updated_at = now(), updated_by = ${actor}
     where id = ${id}
    returning ${tx(COLUMNS)}`;
  return r!;
}

export async function setPlaybookStatus(tx: TransactionSql, id: string, status: PlaybookStatus, actor: string | null): Promise<PlaybookSent> {
  const [r] = await tx<PlaybookSent[]>`
    update public.playbooks set status = ${status}, updated_at = now(), updated_by = ${actor}
     where id = ${id} returning ${tx(COLUMNS)}`;
  return r!;
}

/** Hide a global playbook for an org; false when it already was. */
export async function hidePlaybook(tx: TransactionSql, orgId: string, playbookId: string, actor: string | null): Promise<boolean> {
  const r = await tx`insert into public.playbook_hidden (org_id, playbook_id, hidden_by) values (${orgId}, ${playbookId}, ${actor})
                     on conflict (org_id, playbook_id) do nothing`;
  return r.count === 1;
}

/** Unhide; false when it was not hidden. */
export async function unhidePlaybook(tx: TransactionSql, orgId: string, playbookId: string): Promise<boolean> {
  const r = await tx`delete from public.playbook_hidden where org_id = ${orgId} and playbook_id = ${playbookId}`;
  return r.count === 1;
}
