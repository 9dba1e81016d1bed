/**
 * Error classification shared by the Intercom and Chatwoot clients. The clients decide once whether
 * a failure is worth retrying; activities turn a non-retryable one into a non-retryable Temporal
 * failure (see activities/failures.ts). No Temporal imports here: the clients are plain libraries.
 */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly service: 'intercom' | 'chatwoot' | 'attachment' | 'webhook',
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** Milliseconds the server asked us to wait, when it said so. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = retryable ? 'RetryableHttpFailure' : 'NonRetryableHttpFailure';
  }
}

/** 401/403/404/422 and other 4xx are final; 408, 409 (conflict during concurrent writes), 429 and 5xx are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function describeStatus(service: string, status: number): string {
  switch (status) {
    case 401:
      return `${service} rejected the access token (401): check the token in the worker's environment`;
    case 403:
      return `${service} refused access (403): the token lacks a permission this migration needs`;
    case 404:
      return `${service} has no such resource (404): check the account id and base URL`;
    case 422:
      return `${service} rejected the data (422)`;
    case 429:
      return `${service} rate limit reached (429)`;
    default:
      return `${service} answered HTTP ${status}`;
  }
}
