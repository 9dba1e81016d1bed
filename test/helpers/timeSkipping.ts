/**
 * Temporal's time-skipping test server for workflow tests whose timers last weeks or a year: the
 * Java test server from Maven Central, resolved once by scripts/ensure-test-server.sh into a cache
 * directory outside the clone and started through @temporalio/testing's existing-path option.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { repoRoot } from './temporal.js';

export function testServerPath(): string {
  if (process.env.TEMPORAL_TEST_SERVER) return process.env.TEMPORAL_TEST_SERVER;
  return execFileSync(`${repoRoot}scripts/ensure-test-server.sh`, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/**
 * The server's clock is locked by default and skips ahead only while a test awaits a workflow
 * result (through env.client) or calls env.sleep(); between those it runs at wall-clock speed.
 */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}

const { EventType } = proto.temporal.api.enums.v1;
/** History events after which a workflow waits on nothing but its timers or signals. */
const IDLE_AFTER = new Set<proto.temporal.api.enums.v1.EventType | null | undefined>([
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
]);

/**
 * Terminates a workflow a test leaves running, so its timers stop taking part in later time skips.
 * The test server never releases the clock lock of a workflow task that was in flight when its
 * workflow was terminated (every later env.sleep() would then wait in wall-clock time), so this
 * waits until the workflow is idle first.
 */
export async function terminateWhenIdle(handle: WorkflowHandle, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, raw } = await handle.describe();
    if (status.name !== 'RUNNING') return;
    const events = (await handle.fetchHistory()).events ?? [];
    const idle = (raw.pendingActivities ?? []).length === 0 && IDLE_AFTER.has(events.at(-1)?.eventType);
    if (idle || Date.now() > deadline) {
      await handle.terminate('the test is over');
      return;
    }
    await delay(25);
  }
}
