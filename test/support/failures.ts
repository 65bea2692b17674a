/** What a call threw, for the assertions of tests that expect a failure. */
import { isEkortError } from '../../src/errors.ts';
import type { ApiFailure } from '../../src/client/api.ts';
import { toApiFailure } from '../../src/client/failure.ts';

/** The error `fn` throws or rejects with; fails the test when it does not. */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

/** The EkortError code `fn` throws synchronously ('not-ekort' for another error), undefined when it does not throw. */
export function errCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isEkortError(e) ? e.code : 'not-ekort';
  }
  return undefined;
}

/** A failed agent call as the renderer sees it; fails the test when the call succeeds. */
export async function failureOf(promise: Promise<unknown>): Promise<ApiFailure> {
  try {
    await promise;
  } catch (error) {
    return toApiFailure(error);
  }
  throw new Error('expected the call to fail');
}
