/**
 * Rehosting: every attachment and inline image of a conversation chunk is streamed into the blob
 * store while its signed link is fresh, with size, content type and sha256. A link found expired
 * re-fetches its conversation for a fresh one. What still cannot be had is recorded per chunk for the
 * report, and the migration goes on. Keys are stable per (conversation, message, index), so a retried
 * chunk skips what is already stored.
 */
import { Context } from '@temporalio/activity';
import {
  AttachmentExpired,
  AttachmentRefused,
  openAttachment,
  type SafeFetchPolicy,
  sanitizeFileName,
} from '../attachments/safeFetch.js';
import type { Conversation } from '../clients/intercom/schemas.js';
import { blobKeys, type MigrationInput } from '../config.js';
import { type PlannedMessage, planMessages } from '../mapping/index.js';
import { type BlobStore, getJson, putJson } from '../storage/blobStore.js';
import { BlobTooLargeError } from '../storage/localStore.js';
import type { RehostArgs, RehostResult } from './contract.js';
import type { ActivityDeps } from './deps.js';
import { readChunk } from './manifests.js';

export interface StoredAttachment {
  /** Planned message source id and the attachment's index in it. */
  messageSourceId: string;
  index: number;
  key: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  inline: boolean;
}

export interface AttachmentFailure {
  conversationId: string;
  messageSourceId: string;
  index: number;
  fileName: string;
  reason: string;
}

export interface ConversationAttachmentIndex {
  conversationId: string;
  stored: StoredAttachment[];
  failed: AttachmentFailure[];
}

const safeSegment = (value: string) => value.replace(/[^A-Za-z0-9._=-]/g, '_');

export const attachmentDir = (account: number, conversationId: string) =>
  `${blobKeys.root(account)}/attachments/${safeSegment(conversationId)}`;
export const attachmentIndexKey = (account: number, conversationId: string) =>
  `${attachmentDir(account, conversationId)}/index.json`;

/** The plan both rehosting and import use, so their (message, index) keys agree. */
export function plannedAttachments(conversation: Conversation, input: MigrationInput) {
  return planMessages(conversation, {
    activityParts: input.import.activityParts,
    timestampLine: input.import.timestampLine,
  }).flatMap((message: PlannedMessage) => message.attachments.map((attachment) => ({ message, attachment })));
}

export function readAttachmentIndex(
  store: BlobStore,
  account: number,
  conversationId: string,
): Promise<ConversationAttachmentIndex | undefined> {
  return getJson<ConversationAttachmentIndex>(store, attachmentIndexKey(account, conversationId));
}

export function createAttachmentActivities(deps: ActivityDeps) {
  async function rehostConversation(
    input: MigrationInput,
    conversation: Conversation,
    totals: RehostResult,
  ): Promise<void> {
    const store = deps.store(input);
    const policy: SafeFetchPolicy = { ...input.attachments };
    const existing = await readAttachmentIndex(store, input.account, conversation.id);
    const stored = new Map((existing?.stored ?? []).map((s) => [`${s.messageSourceId}#${s.index}`, s]));
    const failed: AttachmentFailure[] = [];
    let fresh: Conversation | undefined;
    const dir = attachmentDir(input.account, conversation.id);

    for (const { message, attachment } of plannedAttachments(conversation, input)) {
      totals.attachments++;
      const id = `${message.sourceId}#${attachment.index}`;
      const fileName = sanitizeFileName(attachment.name, attachment.inline ? 'inline-image' : 'attachment');
      if (stored.has(id)) {
        totals.alreadyStored++;
        continue;
      }
      const key = `${dir}/${safeSegment(message.sourceId)}-${attachment.index}-${safeSegment(fileName)}`;
      const download = async (url: string) => {
        const opened = await openAttachment(url, policy);
        const info = await store.put(key, opened.stream, {
          contentType: attachment.contentType ?? opened.contentType ?? 'application/octet-stream',
          maxBytes: policy.maxBytes,
        });
        stored.set(id, {
          messageSourceId: message.sourceId,
          index: attachment.index,
          key,
          fileName,
          contentType: attachment.contentType ?? opened.contentType ?? 'application/octet-stream',
          size: info.size,
          sha256: info.sha256,
          inline: attachment.inline,
        });
        totals.downloaded++;
        totals.bytes += info.size;
      };
      try {
        try {
          await download(attachment.url);
        } catch (error) {
          if (!(error instanceof AttachmentExpired)) throw error;
          // Signed links last about 30 minutes: a fresh copy of the conversation carries fresh ones.
          fresh ??= await deps.intercom(input).getConversation(conversation.id);
          const again = plannedAttachments(fresh, input).find(
            (p) => p.message.sourceId === message.sourceId && p.attachment.index === attachment.index,
          );
          if (!again) throw new AttachmentRefused('the attachment is no longer on the conversation');
          totals.refreshed++;
          await download(again.attachment.url);
        }
      } catch (error) {
        const refused =
          error instanceof AttachmentRefused || error instanceof AttachmentExpired || isTooLarge(error);
        if (!refused) throw error;
        totals.failed++;
        failed.push({
          conversationId: conversation.id,
          messageSourceId: message.sourceId,
          index: attachment.index,
          fileName,
          reason: (error as Error).message,
        });
      }
    }
    if (stored.size > 0 || failed.length > 0) {
      await putJson(store, attachmentIndexKey(input.account, conversation.id), {
        conversationId: conversation.id,
        stored: [...stored.values()],
        failed,
      } satisfies ConversationAttachmentIndex);
    }
  }

  async function rehostAttachments({ input, chunkKey }: RehostArgs): Promise<RehostResult> {
    const store = deps.store(input);
    const conversations = await readChunk<Conversation>(store, chunkKey);
    const totals: RehostResult = {
      attachments: 0,
      downloaded: 0,
      alreadyStored: 0,
      refreshed: 0,
      failed: 0,
      bytes: 0,
    };
    for (const [i, conversation] of conversations.entries()) {
      await rehostConversation(input, conversation, totals);
      Context.current().heartbeat(i);
    }
    return totals;
  }

  return { rehostAttachments };
}

function isTooLarge(error: unknown): boolean {
  return error instanceof BlobTooLargeError;
}
