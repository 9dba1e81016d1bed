import { type MigrationInput, taskQueues } from '../../config.js';
import { rolloutDocumentSchema } from '../../router/index.js';
import { putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { RolloutStateRecord } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import type { OnQueue } from '../queues.js';
import { sealAccount } from './seal.js';

export const publishingQueue = taskQueues.main;

export function createPublishingActivities(deps: ActivityDeps) {
  /** The state the widget router serves at /rollout/<account>.json. */
  async function publishRolloutState(
    { input }: { input: MigrationInput },
    state: RolloutStateRecord,
  ): Promise<void> {
    await putJson(
      deps.store(input),
      blobLayout.rolloutState(String(state.account)),
      rolloutDocumentSchema.parse(state),
    );
  }

  /**
   * Cut-over seals the read-only snapshot: every blob under the account with its size and sha256 (of
   * the plaintext), so later tampering or loss is detectable, addressable by Intercom id through the
   * manifests, and how each is protected at rest (key id, server-side encryption, or none), so a
   * data-protection officer can see what is still plain and which keys must be kept. An erasure on
   * request re-seals it after rewriting the snapshot (seal.ts).
   */
  async function sealSnapshot({ input }: { input: MigrationInput }): Promise<string> {
    return sealAccount(deps.store(input), input.account);
  }

  return { publishRolloutState, sealSnapshot };
}

export type PublishingActivities = OnQueue<
  typeof publishingQueue,
  ReturnType<typeof createPublishingActivities>
>;
