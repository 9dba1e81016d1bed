/**
 * When may a conversation already be in Chatwoot? The look-up (POST /conversations/filter) is the
 * import's most expensive request on a real server: an unindexed scan of the account's conversations
 * with three counts and a preload of messages (app/services/filter_service.rb,
 * app/services/conversations/filter_service.rb). So the import looks only where an earlier attempt
 * may have created the conversation:
 *
 * - a marker (blobLayout.conversationCreateMarker) is written to the blob store BEFORE every create
 *   and never removed: if it is absent, no attempt of any run has sent the create;
 * - the sync record (blobLayout.syncedConversation) stands for the marker of conversations imported
 *   before markers existed, and every delta sync of an imported conversation has one;
 * - an activity retry (attempt > 1) looks regardless, as a belt to the marker's braces.
 *
 * The marker is written and read with the blob store's own durability: a crash between the marker and
 * the create only costs one look-up on the retry.
 */
import type { MigrationInput } from '../../config.js';
import { getJson, putJson } from '../../storage/blobStore.js';
import { blobLayout } from '../../storage/layout.js';
import type { ActivityDeps } from '../deps.js';

export interface CreateMarker {
  /** When the create was first about to be sent (no personal data). */
  at: string;
  /** The migration run (input.run) that wrote it: another run's marker makes this one a re-run. */
  run?: string;
}

/** Why the conversation may exist, and whether an earlier run (not this one) may have created it. */
export interface MayExist {
  reason: 'marker' | 'synced' | 'retry';
  /** Written by another run, or an import from before markers: a re-run, which the archive index serves. */
  earlierRun: boolean;
  /** When the marker was written (ms), for the archive index's in-flight margin. */
  markedAt?: number;
}

/** Why the conversation may already exist, or undefined: then no attempt has sent its create. */
export async function mayAlreadyExist(
  deps: ActivityDeps,
  input: MigrationInput,
  intercomConversationId: string,
  attempt: number,
): Promise<MayExist | undefined> {
  const store = deps.store(input);
  const marker = await getJson<CreateMarker>(
    store,
    blobLayout.conversationCreateMarker(input.account, intercomConversationId),
  );
  if (marker) {
    const markedAt = Date.parse(marker.at);
    return {
      reason: 'marker',
      earlierRun: marker.run !== input.run,
      markedAt: Number.isFinite(markedAt) ? markedAt : undefined,
    };
  }
  if (attempt > 1) return { reason: 'retry', earlierRun: false };
  const synced = await getJson(store, blobLayout.syncedConversation(input.account, intercomConversationId));
  // A sync record without a marker: imported by a version from before markers, in an earlier run.
  return synced === undefined ? undefined : { reason: 'synced', earlierRun: true };
}

/** Must complete before the create is sent: from here on, a retry looks before creating. */
export async function markCreating(
  deps: ActivityDeps,
  input: MigrationInput,
  intercomConversationId: string,
): Promise<void> {
  const marker: CreateMarker = { at: new Date().toISOString(), run: input.run };
  await putJson(
    deps.store(input),
    blobLayout.conversationCreateMarker(input.account, intercomConversationId),
    marker,
  );
}
