/**
 * Notifications the migration sends to the operator's own endpoint (the retention reminder). The URL
 * comes from the migration input, so it gets the same guard as attachment links: https only, no
 * private, loopback or link-local address (checked again at connect time against DNS rebinding), no
 * redirects; loopback over http only with the sandbox flag (attachments.allowLoopbackHttp).
 */
import got, { HTTPError, RequestError } from 'got';
import { AttachmentRefused, checkUrl, guardedLookup } from './attachments/safeFetch.js';
import { HttpFailure, isRetryableStatus } from './httpFailure.js';

export interface WebhookPolicy {
  /** Loopback over http, for the sandbox and tests only. */
  allowLoopbackHttp: boolean;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Posts JSON once; the activity's retry policy decides about another try (retryable failures only). */
export async function postWebhook(url: string, body: unknown, policy: WebhookPolicy): Promise<void> {
  let checked: ReturnType<typeof checkUrl>;
  try {
    // The operator named this host: the guard is about where it leads, not about which host it is.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    checked = checkUrl(url, {
      allowedHosts: [host],
      maxBytes: 0,
      allowLoopbackHttp: policy.allowLoopbackHttp,
    });
  } catch (error) {
    throw new HttpFailure(
      `the webhook URL is refused (${error instanceof Error ? error.message : String(error)}): ` +
        'use an https URL on a public address in the migration input',
      'webhook',
      undefined,
      false,
    );
  }
  let status: number;
  try {
    const response = await got.post(checked.url, {
      json: body,
      timeout: { request: policy.timeoutMs ?? DEFAULT_TIMEOUT_MS },
      retry: { limit: 0 },
      followRedirect: false,
      dnsLookup: guardedLookup(checked.loopbackHttp),
    });
    status = response.statusCode;
  } catch (error) {
    if (error instanceof HTTPError) {
      const status = error.response.statusCode;
      const retryable = isRetryableStatus(status);
      throw new HttpFailure(
        retryable
          ? `the webhook at ${checked.url.host} answered ${status}; it will be tried again`
          : `the webhook at ${checked.url.host} refused the notification with ${status}: ` +
              'check retention.webhookUrl (and what the endpoint expects), then retry the workflow',
        'webhook',
        status,
        retryable,
      );
    }
    const cause = error instanceof RequestError ? error.cause : error;
    if (cause instanceof AttachmentRefused) {
      throw new HttpFailure(`the webhook URL is refused: ${cause.message}`, 'webhook', undefined, false);
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new HttpFailure(
      `the webhook at ${checked.url.host} is unreachable: ${message}`,
      'webhook',
      undefined,
      true,
    );
  }
  // A redirect is not followed: it could lead anywhere, past the guard.
  if (status >= 300) {
    throw new HttpFailure(
      `the webhook at ${checked.url.host} answered ${status} (a redirect, not followed): ` +
        'put the final URL in retention.webhookUrl, then retry the workflow',
      'webhook',
      status,
      false,
    );
  }
}
