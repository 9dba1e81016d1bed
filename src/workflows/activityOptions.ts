/**
 * Activity options per kind of work. Every activity has an explicit retry policy; the HTTP clients
 * have already classified failures, so what reaches here as retryable is worth retrying.
 *
 * Heartbeat timeouts detect a dead worker, nothing else: every attempt heartbeats every second while
 * it lives, through long requests and client backoffs alike (activities/keepAlive.ts), so a worker
 * killed mid-import has its work retried by another within seconds, not minutes. Changing a timeout
 * changes no command a workflow issues: running migrations replay unchanged.
 */
import { type ActivityInterfaceFor, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ActivitiesOf, QueueOf, QueueTagged, TaskQueueName } from '../activities/queues.js';
import { taskQueues } from '../config.js';
import { NON_RETRYABLE_TYPES } from './failureTypes.js';

/** A worker gone this long is dead: the worker sends a heartbeat at least every 5 s (worker.ts). */
export const DEAD_WORKER_HEARTBEAT_TIMEOUT = '15 seconds';

/** Long, heartbeating Intercom reads (paged exports): resumable from their heartbeat details. */
export const intercomExportOptions = {
  taskQueue: taskQueues.intercom,
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: DEAD_WORKER_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
} satisfies QueueOptions;

/** Writes to Chatwoot, on the globally rate-limited queue. */
export const chatwootWriteOptions = {
  taskQueue: taskQueues.chatwoot,
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: DEAD_WORKER_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 25,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
} satisfies QueueOptions;

/** Attachment downloads and blob-store bookkeeping. */
export const localWorkOptions = {
  taskQueue: taskQueues.main,
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: DEAD_WORKER_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 20,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
} satisfies QueueOptions;

/** Notifications and small bookkeeping (heartbeating too, so a dead worker costs seconds). */
export const shortOptions = {
  taskQueue: taskQueues.main,
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: DEAD_WORKER_HEARTBEAT_TIMEOUT,
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
} satisfies QueueOptions;

/** Options that name their task queue as a literal, so proxyOn can check it against the module's. */
export type QueueOptions<Q extends TaskQueueName = TaskQueueName> = ActivityOptions & { taskQueue: Q };

/**
 * proxyActivities for one activity module: `proxyOn<ImportActivities>(chatwootWriteOptions)`. The
 * options' task queue must be the one the module is registered on (activities/index.ts); anything
 * else is a compile error, not a silent detour around a service's rate budget.
 */
export function proxyOn<M extends QueueTagged>(
  options: QueueOptions<QueueOf<M>>,
): ActivityInterfaceFor<ActivitiesOf<M>> {
  return proxyActivities<ActivitiesOf<M>>(options);
}
