/**
 * The export's top-level manifest, written once every entity is exported: the delta sync's first
 * high-water mark and what the import and verification read. Runs on the migration queue (blob store
 * only).
 */
import { type MigrationInput, taskQueues } from '../../config.js';
import { putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { EntityExportResult } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import type { OnQueue } from '../queues.js';

export const exportManifestQueue = taskQueues.main;

export function createExportManifestActivities(deps: ActivityDeps) {
  async function writeExportManifest(
    { input }: { input: MigrationInput },
    entities: EntityExportResult[],
    startedAt: number,
  ): Promise<string> {
    const key = blobLayout.exportManifest(input.account);
    await putJson(deps.store(input), key, {
      account: input.account,
      startedAt,
      finishedAt: Math.floor(Date.now() / 1000),
      entities: Object.fromEntries(entities.map((e) => [e.entity, e])),
    });
    return key;
  }

  return { writeExportManifest };
}

export type ExportManifestActivities = OnQueue<
  typeof exportManifestQueue,
  ReturnType<typeof createExportManifestActivities>
>;
