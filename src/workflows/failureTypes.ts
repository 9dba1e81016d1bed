/**
 * Failure types that workflows react to, shared with the activities that raise them. Plain strings
 * only: this module is part of the workflow bundle.
 */

/** Intercom or Chatwoot refused the worker's token (401) or its permissions (403). */
export const ACCESS_REFUSED = 'AccessRefused';

/** A check before the migration starts found the configuration wrong; nothing was written yet. */
export const PREFLIGHT_FAILED = 'PreflightFailed';

/** Never retried by Temporal: the same call would fail the same way. */
export const NON_RETRYABLE_TYPES = [
  'NonRetryableHttpFailure',
  'InvalidInput',
  'InvalidData',
  ACCESS_REFUSED,
  PREFLIGHT_FAILED,
];

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
