/**
 * Temporal's time-skipping test server for workflow tests whose timers last weeks or a year: the
 * Java test server from Maven Central, resolved once by scripts/ensure-test-server.sh into a cache
 * directory outside the clone and started through @temporalio/testing's existing-path option.
 */
import { execFileSync } from 'node:child_process';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { repoRoot } from './temporal.js';

export function testServerPath(): string {
  if (process.env.TEMPORAL_TEST_SERVER) return process.env.TEMPORAL_TEST_SERVER;
  return execFileSync(`${repoRoot}scripts/ensure-test-server.sh`, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** Time moves only while a test awaits a workflow result or calls env.sleep(), never by itself. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
}
