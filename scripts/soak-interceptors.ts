/**
 * Bundled into the soak worker's workflow code only: compresses the time it takes Temporal to notice
 * that a killed worker's activities are gone, as the soak compresses the rollout's weeks into seconds.
 * Production detects a dead worker after the 2-minute heartbeat timeout (or the 2-minute
 * start-to-close of the short bookkeeping activities, which do not heartbeat); the soak kills its
 * worker several times and cannot wait that long each time. What is tested stays the same: the
 * retried attempt resumes from its heartbeat details and looks up what is already written.
 */
import type {
  ActivityInput,
  Next,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** Long enough for a gap between heartbeats under the soak's injected faults, short enough to recover fast. */
export const SOAK_HEARTBEAT_TIMEOUT = '10s';
/** The short activities only touch the local blob store: milliseconds of work. */
export const SOAK_SHORT_START_TO_CLOSE = '15s';

class CompressedActivityTimeouts implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    const options =
      input.options.heartbeatTimeout !== undefined
        ? { ...input.options, heartbeatTimeout: SOAK_HEARTBEAT_TIMEOUT }
        : { ...input.options, startToCloseTimeout: SOAK_SHORT_START_TO_CLOSE };
    return next({ ...input, options });
  }
}

export const interceptors = (): WorkflowInterceptors => ({ outbound: [new CompressedActivityTimeouts()] });
