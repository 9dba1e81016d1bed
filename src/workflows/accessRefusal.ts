/**
 * How workflows wait out a refused token instead of failing: find the refusal behind a failure, and
 * run a step again once the operator has fixed the token and resumed. Part of the workflow bundle.
 */
import { ACCESS_REFUSED } from './failureTypes.js';

/**
 * The message of the access refusal behind a failure, if there is one. Temporal wraps it once per
 * hop (ApplicationFailure in ActivityFailure in ChildWorkflowFailure ...), so the cause chain is walked.
 */
export function accessRefusalIn(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; depth++) {
    const failure = current as Error & { type?: unknown; cause?: unknown };
    if (failure.type === ACCESS_REFUSED) return failure.message;
    current = failure.cause;
  }
  return undefined;
}

/**
 * Runs `step`, and again each time it fails with an access refusal that `holdUntilFixed` chose to
 * wait out (it resolves true once the operator has resumed); any other failure is raised.
 */
export async function retryAfterAccessFixed<T>(
  step: () => Promise<T>,
  holdUntilFixed: (reason: string) => Promise<boolean>,
): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (error) {
      const reason = accessRefusalIn(error);
      if (reason === undefined || !(await holdUntilFixed(reason))) throw error;
    }
  }
}
