/**
 * Optional LLM phrasing of a recommendation's rationale through an OpenAI-compatible
 * chat-completions endpoint. Off unless HOTWATCH_LLM_URL and HOTWATCH_LLM_MODEL are
 * set (index.ts reads them). Bounded by a timeout; any failure, timeout or odd answer
 * falls back to the deterministic rationale, so a scan never depends on the model.
 * Runs before the write transaction, never inside it.
 */
import type { AlertText } from './rules/describe.ts';
import type { PlaybookDetails } from './rules/recommend.ts';

export interface LlmConfig {
  /** Base URL, e.g. https://api.openai.com/v1 (…/chat/completions is appended). */
  url: string;
  model: string;
  apiKey: string | null;
  timeoutMs: number;
}

export const DEFAULT_LLM_TIMEOUT_MS = 4000;
/** Longest rationale accepted from the model. */
export const MAX_PHRASED_CHARS = 800;

export interface PhraseInput {
  alert: AlertText;
  playbook: PlaybookDetails;
  rationale: string;
}

export interface Phraser {
  readonly model: string;
  /** The rephrased rationale, or null to keep the deterministic one. */
  phrase(input: PhraseInput): Promise<string | null>;
}

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export function openAiPhraser(cfg: LlmConfig, fetchFn: FetchLike = fetch): Phraser {
  const endpoint = cfg.url.replace(/\/+$/, '') + '/chat/completions';
  return {
    model: cfg.model,
    async phrase(input) {
      try {
        const res = await fetchFn(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) },
          signal: AbortSignal.timeout(cfg.timeoutMs),
          body: JSON.stringify({
            model: cfg.model,
            temperature: 0.2,
            max_tokens: 220,
            messages: [
              { role: 'system', content: 'You write one short paragraph (at most 3 sentences) telling an emergency operations operator why a response playbook fits an alert. Use only the facts given. No preamble.' },
              { role: 'user', content: `Alert: ${input.alert.title}. ${input.alert.description}\nPlaybook: ${input.playbook.title}. ${input.playbook.summary}\nSteps: ${input.playbook.steps.join(' | ')}\nFacts-only draft: ${input.rationale}` },
            ],
          }),
        });
        if (!res.ok) return null;
        const body = (await res.json()) as { choices?: Array<{ message?: { content?: unknown } }> };
        const text = body.choices?.[0]?.message?.content;
        if (typeof text !== 'string') return null;
        const t = text.trim();
        return t.length >= 20 && t.length <= MAX_PHRASED_CHARS ? t : null;
      } catch {
        return null;
      }
    },
  };
}

/** The optional env vars (index.ts reads them by literal name). */
export interface LlmEnv {
  HOTWATCH_LLM_URL?: string;
  HOTWATCH_LLM_MODEL?: string;
  HOTWATCH_LLM_API_KEY?: string;
  HOTWATCH_LLM_TIMEOUT_MS?: string;
}

/** Env → LLM config, or null when phrasing is off (the default). */
export function llmConfigFromEnv(env: LlmEnv): LlmConfig | null {
  const url = env.HOTWATCH_LLM_URL;
  const model = env.HOTWATCH_LLM_MODEL;
  if (!url || !model) return null;
  const t = Number(env.HOTWATCH_LLM_TIMEOUT_MS);
  return { url, model, apiKey: env.HOTWATCH_LLM_API_KEY || null, timeoutMs: Number.isFinite(t) && t > 0 ? t : DEFAULT_LLM_TIMEOUT_MS };
}
