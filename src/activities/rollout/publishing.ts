import { type MigrationInput, taskQueues } from '../../config.js';
import { rolloutDocumentSchema } from '../../router/index.js';
import {
  type BlobProtection,
  protectionSummary,
  putJson,
  readWithProtection,
} from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { RolloutStateRecord } from '../contract.js';
import type { ActivityDeps } from '../deps.js';
import { sha256Hex } from '../manifests.js';
import type { OnQueue } from '../queues.js';

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
   * data-protection officer can see what is still plain and which keys must be kept.
   */
  async function sealSnapshot({ input }: { input: MigrationInput }): Promise<string> {
    const store = deps.store(input);
    const root = blobLayout.root(input.account);
    const files: { key: string; size: number; sha256: string; protection: BlobProtection }[] = [];
    for await (const key of store.list(`${root}/`)) {
      if (blobLayout.isSealKey(input.account, key)) continue;
      const read = await readWithProtection(store, key);
      if (read) {
        files.push({
          key,
          size: read.body.length,
          sha256: sha256Hex(read.body),
          protection: read.protection,
        });
      }
    }
    const sealedKey = blobLayout.sealedManifest(input.account);
    await putJson(store, sealedKey, {
      account: input.account,
      sealedAt: new Date().toISOString(),
      protection: protectionSummary(files.map((file) => file.protection)),
      files,
    });
    return sealedKey;
  }

  return { publishRolloutState, sealSnapshot };
}

export type PublishingActivities = OnQueue<
  typeof publishingQueue,
  ReturnType<typeof createPublishingActivities>
>;
