/**
 * Turns the clients' classification into Temporal's: a non-retryable HttpFailure becomes a
 * non-retryable ApplicationFailure carrying the client's explanation, so the operator sees what is
 * wrong and what to do instead of a retry loop.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { HttpFailure } from '../clients/httpFailure.js';
import { ACCESS_REFUSED } from '../workflows/failureTypes.js';

/**
 * Intercom or Chatwoot refusing the token (401) or its permissions (403): no retry can help and no
 * later request will do better, but nothing about the data is wrong either. Workflows hold the
 * migration until an operator fixes the token instead of failing item after item. An attachment
 * host's 401/403 is not one: an expired signed link answers 403 and is handled per attachment.
 */
function isAccessRefusal(error: HttpFailure): boolean {
  return error.service !== 'attachment' && (error.status === 401 || error.status === 403);
}

export function classifyFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof HttpFailure && !error.retryable) {
    return ApplicationFailure.create({
      type: isAccessRefusal(error) ? ACCESS_REFUSED : 'NonRetryableHttpFailure',
      message: error.message,
      nonRetryable: true,
    });
  }
  if (error instanceof Error && (error.name === 'InvalidInput' || error.name === 'InvalidData')) {
    return ApplicationFailure.create({ type: error.name, message: error.message, nonRetryable: true });
  }
  return error;
}

/** Wraps every function of an activity object so failures leave it classified. */
export function withClassifiedFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: T,
): T {
  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        throw classifyFailure(error);
      }
    };
  }
  return wrapped as T;
}
