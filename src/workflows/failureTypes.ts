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
