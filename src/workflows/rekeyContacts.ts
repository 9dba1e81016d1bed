/**
 * rekeyContacts: the one-off step for a migration imported before contact identifiers were external
 * ids (workflow id "migration-<account>/rekey-contacts"). Started with the migration's own input:
 *
 *   temporal workflow start --type rekeyContacts --task-queue migration \
 *     --workflow-id migration-1/rekey-contacts --input-file migration.json
 *   node dist/src/cli.js rekey-contacts --input migration.json
 *
 * It walks the exported contacts chunk by chunk; each chunk's activity re-keys its contacts
 * (activities/rekey/chatwootWrites.ts). Idempotent: a second run finds every contact under its
 * external id and changes nothing. Only chunk keys and counts pass through the history.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { ImportPlanningActivities } from '../activities/import/planning.js';
import type { RekeyActivities, RekeyCounts } from '../activities/rekey/chatwootWrites.js';
import { type MigrationInput, parseMigrationInput } from '../config.js';
import { blobLayout } from '../storage/layout.js';
import { chatwootWriteOptions, proxyOn, shortOptions } from './activityOptions.js';

const planning = proxyOn<ImportPlanningActivities>(shortOptions);
const chatwoot = proxyOn<RekeyActivities>(chatwootWriteOptions);

export async function rekeyContacts(rawInput: unknown): Promise<RekeyCounts & { chunks: number }> {
  const parsed = parseMigrationInput(rawInput);
  if (!parsed.ok) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `invalid migration input: ${parsed.problems}. Give the input the migration was started with.`,
    });
  }
  const input: MigrationInput = parsed.input;
  const chunks = await planning.listManifestChunks(
    { input },
    blobLayout.entityManifest(input.account, 'contacts'),
  );
  const totals: RekeyCounts = { checked: 0, rekeyed: 0, merged: 0, unchanged: 0, conflicts: 0 };
  for (const chunkKey of chunks) {
    const counts = await chatwoot.rekeyContacts({ input }, chunkKey);
    for (const key of Object.keys(totals) as (keyof RekeyCounts)[]) totals[key] += counts[key];
  }
  return { ...totals, chunks: chunks.length };
}
