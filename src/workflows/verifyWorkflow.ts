/**
 * Verification: reconciles what Chatwoot holds against the export, item by item by Intercom id, and
 * writes the report (JSON and Markdown) to the blob store. Returns the counts only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReconciliationSummary } from '../activities/contract.js';
import type * as activities from '../activities/index.js';
import type { MigrationInput } from '../config.js';
import { chatwootWriteOptions } from './activityOptions.js';

type Activities = ReturnType<typeof activities.createActivities>;
const { reconcileMigration } = proxyActivities<Activities>({
  ...chatwootWriteOptions,
  startToCloseTimeout: '6 hours',
});

export async function verifyWorkflow({ input }: { input: MigrationInput }): Promise<ReconciliationSummary> {
  return reconcileMigration({ input });
}
