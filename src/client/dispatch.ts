/**
 * One call from outside (IPC or the browser bridge) into the agent: the method must be one of
 * API_METHODS, the input must pass the method's schema (else INVALID_INPUT, and the agent is
 * never called), and the answer is `{ok:true, result}` or `{ok:false, error: ApiFailure}`:
 * nothing is thrown across the boundary.
 */
import type { ApiFailure, ApiMethod } from './api.ts';
import { API_INPUT_SCHEMAS, isApiMethod } from './apiSchemas.ts';
import { invalidInput, toApiFailure } from './failure.ts';

export type CallResult = { ok: true; result: unknown } | { ok: false; error: ApiFailure };

/** What dispatch needs of an agent: one async handler per method. */
export type AgentHandlers = Record<ApiMethod, (input: never) => Promise<unknown>>;

export const unknownMethod = (method: unknown): ApiFailure => ({
  code: 'UNKNOWN_METHOD',
  message: `There is no API method ${typeof method === 'string' ? `"${method.slice(0, 60)}"` : 'of that name'}.`,
});

export async function dispatch(agent: AgentHandlers, method: unknown, input: unknown, onUnexpected?: (method: string, error: unknown) => void): Promise<CallResult> {
  if (!isApiMethod(method)) return { ok: false, error: unknownMethod(method) };
  const parsed = API_INPUT_SCHEMAS[method].safeParse(input);
  if (!parsed.success) return { ok: false, error: invalidInput(parsed.error.issues) };
  try {
    const handler = agent[method] as (input: unknown) => Promise<unknown>;
    const result = await handler.call(agent, parsed.data);
    // Plain JSON only: undefined becomes null, class instances their JSON.
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    const failure = toApiFailure(error);
    if (failure.code === 'INTERNAL') onUnexpected?.(method, error);
    return { ok: false, error: failure };
  }
}
