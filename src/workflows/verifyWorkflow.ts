/**
 * Verification: reconciles what Chatwoot holds against the export, item by item by Intercom id, and
 * writes the report (JSON and Markdown) to the blob store. Returns the counts only.
 */
import type { ReconciliationSummary } from '../activities/contract.js';
import type { VerificationActivities } from '../activities/verification/chatwootWrites.js';
import type { MigrationInput } from '../config.js';
import { chatwootWriteOptions, proxyOn } from './activityOptions.js';

const { reconcileMigration } = proxyOn<VerificationActivities>({
  ...chatwootWriteOptions,
  startToCloseTimeout: '6 hours',
});

export async function verifyWorkflow({ input }: { input: MigrationInput }): Promise<ReconciliationSummary> {
  return reconcileMigration({ input });
}
