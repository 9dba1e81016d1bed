/**
 * The real local Temporal server for integration tests: the Temporal CLI's dev server, started
 * through @temporalio/testing with the existing-path option (nothing is downloaded at run time).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { MIGRATION_PHASE } from '../../src/workflows/definitions.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function temporalCliPath(): string {
  if (process.env.TEMPORAL_CLI) return process.env.TEMPORAL_CLI;
  return execFileSync(`${repoRoot}scripts/ensure-temporal.sh`, { encoding: 'utf8' }).trim();
}

export async function startLocalTemporal(
  options: { dbFilename?: string } = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCliPath() },
      ip: '127.0.0.1',
      ui: false,
      searchAttributes: [MIGRATION_PHASE],
      dbFilename: options.dbFilename,
      log: { format: 'pretty', level: 'error' },
    },
  });
}
