/**
 * One edge-function call through supabase-js `functions.invoke`, its failures turned into
 * an `ApiError` with the function's own message and code (`{error: {code, message,
 * errors?}}`, functions/_shared/http.ts), field errors appended so the page can say what
 * to fix.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { FunctionsHttpError } from '@supabase/supabase-js';
import { ApiError } from './api.ts';

interface FunctionErrorBody {
  error?: { code?: string; message?: string; errors?: Array<{ path?: string; message?: string }> };
}

export async function invokeFunction<T>(supabase: SupabaseClient, name: string, body: object): Promise<T> {
  const { data, error } = await supabase.functions.invoke(name, { body });
  if (error) {
    if (error instanceof FunctionsHttpError) {
      const res = error.context as Response;
      const parsed = await res.json().catch(() => null) as FunctionErrorBody | null;
      const list = (parsed?.error?.errors ?? []).map((f) => ({ path: f.path ?? '', message: f.message ?? '' }));
      const fields = list.map((f) => `${f.path}: ${f.message}`).join('; ');
      const message = parsed?.error?.message ?? `${name} answered ${res.status}`;
      throw new ApiError(fields ? `${message} ${fields}` : message, parsed?.error?.code ?? 'http_error', res.status, list);
    }
    throw new ApiError(error.message, 'network_error');
  }
  return data as T;
}
