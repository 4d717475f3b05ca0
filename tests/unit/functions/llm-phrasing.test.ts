import { describe, expect, it } from 'vitest';
import { llmConfigFromEnv, openAiPhraser, type PhraseInput } from '../../../functions/hotspot-scan/llm.ts';

const input: PhraseInput = {
  alert: { title: 'High fire hotspot: 20 events in 7 cells', description: 'High-severity fire cluster…', tags: ['surge'] },
  playbook: { playbookId: 'x', slug: 'fire-surge-escalation', title: 'Escalate a fire incident surge', summary: 's', steps: ['a', 'b'], score: 1, textRank: 2, matchedTags: [] },
  rationale: 'deterministic text',
};
const cfg = { url: 'http://llm.local/v1/', model: 'm', apiKey: 'k', timeoutMs: 50 };

describe('optional LLM phrasing', () => {
  it('is off unless a URL and a model are configured', () => {
    expect(llmConfigFromEnv({})).toBeNull();
    expect(llmConfigFromEnv({ HOTWATCH_LLM_URL: 'http://x' })).toBeNull();
    expect(llmConfigFromEnv({ HOTWATCH_LLM_URL: 'http://x', HOTWATCH_LLM_MODEL: 'm', HOTWATCH_LLM_TIMEOUT_MS: 'nope' }))
      .toEqual({ url: 'http://x', model: 'm', apiKey: null, timeoutMs: 4000 });
  });

  it('posts an OpenAI-compatible chat completion and uses its text', async () => {
    let seen: { url: string; body: Record<string, unknown>; auth: string | null } | undefined;
    const p = openAiPhraser(cfg, async (url, init) => {
      seen = { url, body: JSON.parse(String(init.body)), auth: new Headers(init.headers).get('authorization') };
      return Response.json({ choices: [{ message: { content: '  This playbook fits because the surge is widespread and growing.  ' } }] });
    });
    expect(await p.phrase(input)).toBe('This playbook fits because the surge is widespread and growing.');
    expect(seen).toMatchObject({ url: 'http://llm.local/v1/chat/completions', auth: 'Bearer k', body: { model: 'm' } });
  });

  it('falls back (null) on errors, timeouts, odd answers', async () => {
    const cases: Array<(url: string, init: RequestInit) => Promise<Response>> = [
      async () => new Response('boom', { status: 500 }),
      async () => Response.json({ choices: [] }),
      async () => Response.json({ choices: [{ message: { content: 'ok' } }] }),
      async () => Response.json({ choices: [{ message: { content: 'x'.repeat(5000) } }] }),
      async () => { throw new TypeError('network down'); },
      (_u, init) => new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    ];
    for (const f of cases) expect(await openAiPhraser(cfg, f).phrase(input)).toBeNull();
  });
});
