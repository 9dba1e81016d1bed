/**
 * The retention decision "delete", carried out in Intercom: resumable from its heartbeat (the
 * position in the exported contacts). Runs on the intercom-reads queue, under Intercom's rate.
 */
import { Context } from '@temporalio/activity';
import { type MigrationInput, taskQueues } from '../../config.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';
import { readManifest, recordsOf } from '../manifests.js';
import type { OnQueue } from '../queues.js';

export const deletionQueue = taskQueues.intercom;

export function createDeletionActivities(deps: ActivityDeps) {
  /** Only after the retentionDecision "delete": removes the migrated contacts (and their data) from Intercom. */
  async function deleteIntercomData({ input }: { input: MigrationInput }): Promise<number> {
    const intercom = deps.intercom(input);
    const store = deps.store(input);
    const manifest = await readManifest(store, blobLayout.entityManifest(input.account, 'contacts'));
    const done = (Context.current().info.heartbeatDetails as number | undefined) ?? 0;
    let index = 0;
    for await (const contact of recordsOf<{ id: string }>(store, manifest)) {
      index++;
      if (index <= done) continue;
      await intercom.deleteContact(contact.id);
      Context.current().heartbeat(index);
    }
    return index;
  }

  return { deleteIntercomData };
}

export type DeletionActivities = OnQueue<typeof deletionQueue, ReturnType<typeof createDeletionActivities>>;
