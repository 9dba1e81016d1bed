/**
 * What a failed Chatwoot answer means, and what the operator should do about it: the one place that
 * turns a status and body into a retryable or final HttpFailure for every Chatwoot call.
 */
import { bodyExcerpt, type FailedResponse, headerValue, parseRetryAfter } from '../httpCore.js';
import { HttpFailure, isRetryableStatus } from '../httpFailure.js';
import { ChatwootPolicyRefusal, isPolicyRefusal } from './refusals.js';

const FLOOD_GUARD = /too many messages/i;

export function classifyChatwootFailure(
  response: FailedResponse,
  accountId: number,
  floodWaitMs: number,
  tokenSource = 'CHATWOOT_TOKEN',
): HttpFailure {
  const { status, endpoint, headers } = response;
  const detail = chatwootErrorDetail(response.bodyText);
  const said = detail ? ` (Chatwoot said: ${detail})` : '';
  const fail = (message: string) => new HttpFailure(message, 'chatwoot', status, false);
  switch (status) {
    case 401:
      if (isPolicyRefusal(response.bodyText))
        return new ChatwootPolicyRefusal(endpoint, accountId, tokenSource);
      return fail(
        tokenSource === 'CHATWOOT_TOKEN'
          ? `Chatwoot rejected the access token (401) for ${endpoint}${said}: set CHATWOOT_TOKEN in the worker's environment to an administrator's access token (Chatwoot also answers 401 when the token's user is not an administrator of account ${accountId})`
          : `Chatwoot rejected the access token (401) for ${endpoint}${said}: replace ${tokenSource} in the worker's environment with that agent's current access token (Chatwoot also answers 401 when the agent is not a member of account ${accountId})`,
      );
    case 403:
      return fail(
        `Chatwoot refused ${endpoint} (403)${said}: the token's user lacks a permission; use an administrator of account ${accountId}`,
      );
    case 404:
      return fail(
        `Chatwoot has no such resource (404) at ${endpoint}${said}: check the account id (${accountId}), the Chatwoot base URL, and that the object still exists`,
      );
    case 422:
      if (FLOOD_GUARD.test(response.bodyText)) {
        return new HttpFailure(
          `Chatwoot's flood guard refused ${endpoint} (422 Too many messages: 200 a minute per conversation); waiting for the minute to pass`,
          'chatwoot',
          422,
          true,
          floodWaitMs,
        );
      }
      return fail(`Chatwoot rejected the data sent to ${endpoint} (422)${said}`);
  }
  if (!isRetryableStatus(status)) return fail(`Chatwoot answered HTTP ${status} to ${endpoint}${said}`);
  // Chatwoot's throttle (rack-attack) answers 429 "Retry later" without Retry-After: back off then.
  const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'));
  const what =
    status === 429
      ? 'throttled the requests (429); lower requestsPerSecond or the task queue rate if this persists'
      : status >= 500
        ? `answered a server error (HTTP ${status})`
        : `answered a temporary refusal (HTTP ${status})`;
  return new HttpFailure(`Chatwoot ${what} on ${endpoint}${said}`, 'chatwoot', status, true, retryAfterMs);
}

/** Chatwoot error bodies are `{ message }`, `{ error }` or `{ errors: [...] }`; rack-attack's is plain text. */
function chatwootErrorDetail(bodyText: string): string {
  try {
    const body: unknown = JSON.parse(bodyText);
    if (typeof body === 'object' && body !== null) {
      const { message, error, errors } = body as Record<string, unknown>;
      const parts = [message, error, errors]
        .filter((part) => part !== undefined && part !== null)
        .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)));
      if (parts.length > 0) return bodyExcerpt(parts.join('; '));
    }
  } catch {
    // Not JSON: quote the text instead.
  }
  return bodyExcerpt(bodyText);
}
