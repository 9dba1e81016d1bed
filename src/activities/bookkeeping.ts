/**
 * Blob-store bookkeeping for the workflows: manifests, chunk listings, the rollout state the widget
 * router serves, the sealed snapshot, and the retention reminder.
 */
import got from 'got';
import type { Conversation } from '../clients/intercom/schemas.js';
import { blobKeys, type MigrationInput } from '../config.js';
import { rolloutDocumentSchema, rolloutKey } from '../router/index.js';
import { putJson } from '../storage/blobStore.js';
import type { EntityExportResult, RolloutStateRecord } from './contract.js';
import type { ActivityDeps } from './deps.js';
import { readChunk, readManifest, sha256Hex } from './manifests.js';

export function createBookkeepingActivities(deps: ActivityDeps) {
  async function writeExportManifest(
    { input }: { input: MigrationInput },
    entities: EntityExportResult[],
    startedAt: number,
  ): Promise<string> {
    const key = blobKeys.exportManifest(input.account);
    await putJson(deps.store(input), key, {
      account: input.account,
      startedAt,
      finishedAt: Math.floor(Date.now() / 1000),
      entities: Object.fromEntries(entities.map((e) => [e.entity, e])),
    });
    return key;
  }

  async function listManifestChunks(
    { input }: { input: MigrationInput },
    manifestKey: string,
  ): Promise<string[]> {
    return (await readManifest(deps.store(input), manifestKey)).chunks.map((c) => c.key);
  }

  async function listChunkConversationIds(
    { input }: { input: MigrationInput },
    chunkKey: string,
  ): Promise<string[]> {
    return (await readChunk<Conversation>(deps.store(input), chunkKey)).map((c) => c.id);
  }

  /** The state the widget router serves at /rollout/<account>.json. */
  async function publishRolloutState(
    { input }: { input: MigrationInput },
    state: RolloutStateRecord,
  ): Promise<void> {
    await putJson(deps.store(input), rolloutKey(String(state.account)), rolloutDocumentSchema.parse(state));
  }

  /**
   * Cut-over seals the read-only snapshot: every blob under the account with its size and sha256,
   * so later tampering or loss is detectable, addressable by Intercom id through the manifests.
   */
  async function sealSnapshot({ input }: { input: MigrationInput }): Promise<string> {
    const store = deps.store(input);
    const root = blobKeys.root(input.account);
    const files: { key: string; size: number; sha256: string }[] = [];
    for await (const key of store.list(`${root}/`)) {
      if (key.startsWith(`${root}/sealed`)) continue;
      const body = await store.get(key);
      if (body) files.push({ key, size: body.length, sha256: sha256Hex(body) });
    }
    const sealedKey = `${root}/sealed-manifest.json`;
    await putJson(store, sealedKey, { account: input.account, sealedAt: new Date().toISOString(), files });
    return sealedKey;
  }

  async function sendRetentionReminder(
    { input }: { input: MigrationInput },
    details: { cutoverAt: number; remindAt: number; workflowId: string },
  ): Promise<boolean> {
    const message = {
      event: 'intercom_retention_review_due',
      account: input.account,
      cutoverAt: new Date(details.cutoverAt).toISOString(),
      dueAt: new Date(details.remindAt).toISOString(),
      workflowId: details.workflowId,
      text:
        `The retention period for the Intercom data of Chatwoot account ${input.account} is over. ` +
        `Decide with: temporal workflow signal --workflow-id ${details.workflowId} --name retentionDecision ` +
        `--input '{"action":"keep","for":"180 days"}' (or {"action":"delete"}).`,
    };
    if (!input.retention.webhookUrl) return false;
    await got.post(input.retention.webhookUrl, {
      json: message,
      timeout: { request: 30_000 },
      retry: { limit: 0 },
    });
    return true;
  }

  return {
    writeExportManifest,
    listManifestChunks,
    listChunkConversationIds,
    publishRolloutState,
    sealSnapshot,
    sendRetentionReminder,
  };
}
