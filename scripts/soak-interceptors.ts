/**
 * Bundled into the soak worker's workflow code only: compresses the time it takes Temporal to notice
 * that a killed worker's activities are gone, as the soak compresses the rollout's weeks into seconds.
 * Production detects a dead worker after its 15-second heartbeat timeout (every attempt heartbeats
 * each second, activities/keepAlive.ts); the soak kills its worker several times and waits less. Retries back off for at most two seconds
 * for the same reason. What is tested stays the same: the retried attempt resumes from its heartbeat
 * details and looks up what is already written.
 */
import type {
  ActivityInput,
  Next,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { taskQueues } from '../src/config.js';

/**
 * Intercom reads heartbeat per page or chunk, and an Intercom 429 holds every read until the next
 * 10-second rate window: their timeout must outlast such a wait, or a live attempt is declared dead.
 */
export const SOAK_INTERCOM_HEARTBEAT_TIMEOUT = '20s';
/** The other heartbeating activities heartbeat at least every second (the Chatwoot import keeps alive). */
export const SOAK_HEARTBEAT_TIMEOUT = '10s';
/** The short activities only touch the local blob store: milliseconds of work. */
export const SOAK_SHORT_START_TO_CLOSE = '15s';
/**
 * Production backs off up to a minute between attempts; under the soak's fault rates a conversation
 * can fail five or more attempts in a row (each failed write ends the attempt), and the import
 * drains its window before continuing as new, so such a straggler would hold everything for minutes.
 */
export const SOAK_MAX_RETRY_INTERVAL = '2s';

class CompressedActivityTimeouts implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    const { options } = input;
    const heartbeatTimeout =
      options.taskQueue === taskQueues.intercom ? SOAK_INTERCOM_HEARTBEAT_TIMEOUT : SOAK_HEARTBEAT_TIMEOUT;
    const retry = { ...options.retry, maximumInterval: SOAK_MAX_RETRY_INTERVAL };
    const compressed =
      options.heartbeatTimeout !== undefined
        ? { ...options, retry, heartbeatTimeout }
        : { ...options, retry, startToCloseTimeout: SOAK_SHORT_START_TO_CLOSE };
    return next({ ...input, options: compressed });
  }
}

export const interceptors = (): WorkflowInterceptors => ({ outbound: [new CompressedActivityTimeouts()] });
