/**
 * Activity options per kind of work. Every activity has an explicit retry policy; the HTTP clients
 * have already classified failures, so what reaches here as retryable is worth retrying.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { taskQueues } from '../config.js';
import { NON_RETRYABLE_TYPES } from './failureTypes.js';

/** Long, heartbeating Intercom reads (paged exports): resumable from their heartbeat details. */
export const intercomExportOptions: ActivityOptions = {
  taskQueue: taskQueues.intercom,
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
};

/** Writes to Chatwoot, on the globally rate-limited queue. */
export const chatwootWriteOptions: ActivityOptions = {
  taskQueue: taskQueues.chatwoot,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 25,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
};

/** Attachment downloads and blob-store bookkeeping. */
export const localWorkOptions: ActivityOptions = {
  taskQueue: taskQueues.main,
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
};

/** Notifications and small bookkeeping. */
export const shortOptions: ActivityOptions = {
  taskQueue: taskQueues.main,
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
};
