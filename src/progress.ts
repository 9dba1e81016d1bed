/** Polls a migration's status and its import's progress for the CLI and the demo. */
import type { Client } from '@temporalio/client';
import {
  type ImportProgress,
  importProgressQuery,
  type MigrationStatus,
  statusQuery,
} from './workflows/definitions.js';

export async function watchMigration(
  client: Client,
  workflowId: string,
  onUpdate: (status: MigrationStatus, progress: ImportProgress | undefined) => void,
  intervalMs = 500,
): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  let lastProgress: ImportProgress | undefined;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return;
    try {
      const status = await handle.query(statusQuery);
      if (status.phase === 'import') {
        lastProgress = await client.workflow
          .getHandle(`${workflowId}/import`)
          .query(importProgressQuery)
          .catch(() => lastProgress);
      }
      onUpdate(status, lastProgress);
    } catch {
      // The first workflow task may not have run yet: nothing to show.
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
